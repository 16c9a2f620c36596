// What the rest of the server may use of signing in: the password hasher the context builds,
// challenge pruning, and the credential checks the vault repeats (password, authenticator code).
export { checkCredential, verifyPassword, type CredentialSubject } from './credentials.js';
export { PasswordHasher } from './passwords.js';
export { pruneChallenges } from './repo.js';
export { checkTotpCode, CodeAlreadyUsedError } from './totp-enrolment.js';
