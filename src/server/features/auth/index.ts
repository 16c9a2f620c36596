// What the rest of the server may use of signing in: the password hasher the context builds,
// challenge pruning, the credential checks the vault repeats (password, authenticator code,
// passkey) and the step-up rule for revealing organisation keys.
export { checkCredential, verifyPassword, type CredentialSubject } from './credentials.js';
export { PasswordHasher } from './passwords.js';
export { pruneChallenges } from './repo.js';
export { checkTotpCode, CodeAlreadyUsedError } from './totp-enrolment.js';
export { passkeyAssertionProves, relyingPartyOf, type RelyingParty } from './passkeys.js';
export { passkeyAssertion } from './schema.js';
export { requireRecentSignin, StepUpRequiredError } from './step-up.js';
export { completeProviderSignin, type SignedIn } from './signin.js';
export { hasSecondFactor } from './second-factor.js';
