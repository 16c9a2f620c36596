import { z } from 'zod';
import { membershipRoles } from './orgs.js';
import { plainText } from './plain-text.js';

/** Kept generous: the strength check explains what is wrong, not the schema. */
const passwordInput = z.string().min(1, 'enter a password').max(1024);
const emailInput = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email('enter an email address like name@example.org'));
export const idParam = z.uuid();

export const account = z
  .object({
    id: z.string(),
    email: z.string(),
    displayName: z.string(),
    createdAt: z.string(),
    totpEnabled: z.boolean(),
    recoveryCodesRemaining: z.number().int(),
    /** False while the address of an account that signed up with mail on waits for its link. */
    emailConfirmed: z.boolean(),
    /**
     * False for an account an organisation's sign-in service created: it has no password, and
     * confirms it is the person by a sign-in of at most 5 minutes ago where others type one.
     */
    hasPassword: z.boolean(),
    /** The language of the mail the account gets. */
    language: z.enum(['en', 'nb']),
  })
  .meta({ id: 'Account' });

export const browserAccount = z
  .object({
    id: z.string(),
    email: z.string(),
    displayName: z.string(),
    signedIn: z.boolean(),
    isDefault: z.boolean(),
  })
  .meta({ id: 'BrowserAccount' });

export const accountsResponse = z.object({
  accounts: z.array(browserAccount),
  csrfToken: z.string().nullable(),
});

export const signupBody = z.object({
  email: emailInput,
  displayName: plainText(z.string().trim().min(1, 'enter your name').max(100)),
  password: passwordInput,
});

export const signedInResponse = z.object({
  status: z.literal('signed_in'),
  account,
  csrfToken: z.string(),
});

/**
 * What a sign-up answers when the server sends mail, for a new address and for one that already
 * has an account alike: a link to confirm the address went to it (or, for a taken address, a
 * note to its owner).
 */
export const confirmationSentResponse = z.object({
  status: z.literal('confirmation_sent'),
  email: z.string(),
});

/** The token from a confirmation link (the part after `#token=`). */
export const confirmEmailBody = z.object({
  token: z
    .string()
    .min(20)
    .max(100)
    .regex(/^[\w-]+$/, 'the token from the link'),
});
export const emailConfirmedResponse = z.object({
  status: z.literal('confirmed'),
  email: z.string(),
});
export type ConfirmationSent = z.output<typeof confirmationSentResponse>;

export const identifyBody = z.object({
  email: emailInput,
  next: z
    .string()
    .max(500)
    .optional()
    .describe('The web app path to return to after a sign-in at an organisation provider'),
});
export const identifyResponse = z.object({
  email: z.string(),
  displayName: z.string(),
  methods: z.array(z.enum(['password', 'sso'])),
  /** Set when the email's domain signs in through its organisation's provider: go there now. */
  sso: z
    .object({ organisationName: z.string(), redirectTo: z.string() })
    .optional()
    .describe("The organisation's OpenID provider, with this sign-in's authorization URL"),
});

export const signinBody = z.object({ email: emailInput, password: passwordInput });
export const secondFactorRequired = z.object({
  status: z.literal('second_factor_required'),
  challenge: z.string(),
  methods: z.array(z.enum(['totp', 'recovery_code', 'passkey'])),
  expiresAt: z.string(),
});
export const signinResponse = z.discriminatedUnion('status', [
  signedInResponse,
  secondFactorRequired,
]);

const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[\w-]*$/, 'base64url');

/** What navigator.credentials.get() answered, in the JSON form of WebAuthn Level 3. */
export const passkeyAssertion = z.object({
  id: base64url(1400),
  rawId: base64url(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(8192),
    authenticatorData: base64url(8192),
    signature: base64url(2048),
    userHandle: base64url(1024).optional(),
  }),
  clientExtensionResults: z.object({}).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

/** What navigator.credentials.create() answered, in the JSON form of WebAuthn Level 3. */
export const passkeyAttestation = z.object({
  id: base64url(1400),
  rawId: base64url(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url(8192),
    attestationObject: base64url(32_768),
    authenticatorData: base64url(16_384).optional(),
    transports: z
      .array(z.enum(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']))
      .max(8)
      .optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(4096).optional(),
  }),
  clientExtensionResults: z.object({}).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

/** Options handed to the browser's WebAuthn call as they are (no secret in them). */
export const passkeyOptionsResponse = z.object({
  options: z.record(z.string(), z.unknown()),
});

export const passkeyName = plainText(z.string().trim().min(1).max(100));
export const passkey = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export const passkeyResponse = z.object({ passkey });
export const passkeysResponse = z.object({ passkeys: z.array(passkey) });
export const addPasskeyBody = z.object({ name: passkeyName, response: passkeyAttestation });
export const renamePasskeyBody = z.object({ name: passkeyName });
export const passkeyOptionsBody = z.object({ challenge: z.string().min(20).max(100).optional() });
export const passkeySigninBody = z.object({ response: passkeyAssertion });

const totpInput = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'enter the 6-digit code');
const recoveryCodeInput = z.string().trim().min(8).max(40);

export const secondFactorBody = z
  .object({
    challenge: z.string().min(20).max(100),
    totp: totpInput.optional(),
    recoveryCode: recoveryCodeInput.optional(),
    passkey: passkeyAssertion.optional(),
  })
  .refine(
    (body) =>
      [body.totp, body.recoveryCode, body.passkey].filter((proof) => proof !== undefined).length ===
      1,
    {
      message: 'send one of totp, recoveryCode or passkey',
      path: ['totp'],
    },
  );

export const signoutBody = z
  .object({ everywhere: z.boolean().optional(), allAccounts: z.boolean().optional() })
  .optional();

export const membership = z.object({
  organisationId: z.string(),
  organisationName: z.string(),
  role: z.enum(membershipRoles),
});
export const meResponse = z.object({ account, memberships: z.array(membership) });
export const updateMeBody = z.object({
  displayName: plainText(z.string().trim().min(1, 'enter your name').max(100)).optional(),
  /** The language of the mail the account gets. */
  language: z.enum(['en', 'nb']).optional(),
});

export const session = z
  .object({
    id: z.string(),
    /** "Chrome on Linux", in the language of the request (Accept-Language). */
    device: z.string(),
    browser: z.string().nullable(),
    system: z.string().nullable(),
    ipAddress: z.string().nullable(),
    createdAt: z.string(),
    lastUsedAt: z.string(),
    expiresAt: z.string(),
    current: z.boolean(),
  })
  .meta({ id: 'Session' });
export const sessionsResponse = z.object({ sessions: z.array(session) });
export const sessionResponse = z.object({ session });
export const revokedResponse = z.object({
  revoked: z.number().int(),
  /** Device (`keyhold login`) tokens ended with the sessions. */
  tokensRevoked: z.number().int(),
});

export const changePasswordBody = z.object({
  currentPassword: passwordInput
    .optional()
    .describe('Left out by an account without a password, which signs in again first'),
  newPassword: passwordInput,
});
export const changePasswordResponse = z.object({ revokedSessions: z.number().int() });

export const passwordBody = z.object({
  password: passwordInput
    .optional()
    .describe(
      "The account's password; an account without one (hasPassword false) sends none and signs in again first",
    ),
});
export const totpEnrolResponse = z.object({ secret: z.string(), otpauthUri: z.string() });
export const totpConfirmBody = z.object({ totp: totpInput });
export const totpConfirmResponse = z.object({ account, recoveryCodes: z.array(z.string()) });
export const accountResponse = z.object({ account });
export const recoveryCodesResponse = z.object({ recoveryCodes: z.array(z.string()) });

export type Account = z.output<typeof account>;
/** An entry of the account picker: signed in now, or remembered as signed out. */
export type BrowserAccount = z.output<typeof browserAccount>;
export type AccountList = z.output<typeof accountsResponse>;
export type SignUpRequest = z.input<typeof signupBody>;
export type Identified = z.output<typeof identifyResponse>;
export type SignInRequest = z.input<typeof signinBody>;
export type SignedIn = z.output<typeof signedInResponse>;
export type SignInResult = z.output<typeof signinResponse>;
export type SecondFactorAnswer = z.input<typeof secondFactorBody>;
export type Membership = z.output<typeof membership>;
export type Me = z.output<typeof meResponse>;
export type Session = z.output<typeof session>;
export type SessionList = z.output<typeof sessionsResponse>;
export type RevokedSessions = z.output<typeof revokedResponse>;
export type PasswordChange = z.input<typeof changePasswordBody>;
export type PasswordChanged = z.output<typeof changePasswordResponse>;
export type TotpEnrolment = z.output<typeof totpEnrolResponse>;
export type TotpConfirmed = z.output<typeof totpConfirmResponse>;

export type PasskeyView = z.output<typeof passkey>;
export type PasskeyList = z.output<typeof passkeysResponse>;
