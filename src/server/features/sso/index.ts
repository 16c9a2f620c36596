// What sign-in (features/auth) uses of organisation sign-in: where an email signs in, starting a
// sign-in at the provider, and the refusal of other methods when an organisation requires it.
// The provider's answer (callback.ts) is reached through this feature's routes only: it builds
// on auth's sign-in, and auth builds on this index.
export { refuseUnlessSsoOptional, ssoOrganisationFor, startSsoSignin } from './start.js';
export { SsoRequiredError } from './errors.js';
export { pruneSigninStates as pruneSsoSigninStates } from './repo.js';
