import { z } from 'zod';
import { volumeTypes } from './keys.js';
import { plainText } from './plain-text.js';

/** Enrollment tokens, enrolled devices and the agent's own API (keyhold agent). */

export const enrollmentToken = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: z.string(),
    expiresAt: z.string(),
    maxUses: z.number().int().describe('1 for a one-time token'),
    uses: z.number().int(),
    assignee: z.object({ accountId: z.string(), email: z.string() }).nullable(),
    revokedAt: z.string().nullable(),
    status: z.enum(['usable', 'used-up', 'expired', 'revoked']),
  })
  .meta({ id: 'EnrollmentToken' });

export const enrollmentTokenParams = z.object({ orgId: z.uuid(), tokenId: z.uuid() });

export const createEnrollmentTokenBody = z.object({
  name: plainText(z.string().trim().min(1, 'enter a name').max(100)),
  expiresInDays: z.number().int().min(1).max(365).default(7),
  maxUses: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1)
    .describe('1: one-time; more: reusable up to this many enrollments'),
  assigneeEmail: z.string().trim().max(254).pipe(z.email()).optional(),
});

export const createdEnrollmentTokenResponse = z.object({
  token: enrollmentToken,
  secret: z.string().describe('Shown only in this answer: give it to keyhold agent enroll'),
});
export const enrollmentTokenResponse = z.object({ token: enrollmentToken });
export const enrollmentTokensResponse = z.object({ items: z.array(enrollmentToken) });

export const enrolledDeviceStatuses = ['active', 'retired', 'replaced'] as const;

export const enrolledDevice = z
  .object({
    id: z.string(),
    deviceId: z.string(),
    deviceName: z.string(),
    hostname: z.string(),
    os: z.string(),
    hardwareId: z.string(),
    status: z.enum(enrolledDeviceStatuses),
    enrolledAt: z.string(),
    lastSeenAt: z.string().nullable(),
    retiredAt: z.string().nullable(),
    rotation: z
      .object({
        pending: z.number().int().describe('Keys of the device waiting to be rotated'),
      })
      .describe("The device's rotation state"),
  })
  .meta({ id: 'EnrolledDevice' });

export const enrolledDeviceParams = z.object({ orgId: z.uuid(), enrolledDeviceId: z.uuid() });
export const enrolledDeviceResponse = z.object({ device: enrolledDevice });
export const enrolledDevicesResponse = z.object({ items: z.array(enrolledDevice) });

const publicJwk = z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string() });

export const duplicateChoices = ['replace', 'keep-both'] as const;
export type DuplicateChoice = (typeof duplicateChoices)[number];

export const enrollBody = z.object({
  token: z.string().min(1).max(200),
  hostname: plainText(z.string().trim().min(1).max(200)),
  os: plainText(z.string().trim().min(1).max(200)),
  hardwareId: plainText(z.string().trim().min(1).max(200)),
  publicKey: publicJwk,
  ifAlreadyEnrolled: z
    .enum(duplicateChoices)
    .optional()
    .describe(
      'For a hardware identifier already enrolled (a clone or a reinstall): replace the old enrollment or keep both',
    ),
});

export const enrollResponse = z.object({
  enrolledDeviceId: z.string(),
  deviceName: z.string(),
  organisation: z.object({ id: z.string(), name: z.string() }),
  escrowPublicKey: z.string().describe("The organisation's escrow public key (X25519, SPKI PEM)"),
  tokenEndpoint: z.string(),
});

export const challengeBody = z.object({ enrolledDeviceId: z.uuid() });
export const challengeResponse = z.object({ challenge: z.string(), expiresAt: z.string() });

export const accessTokenBody = z.object({
  client_assertion_type: z.literal('urn:ietf:params:oauth:client-assertion-type:jwt-bearer'),
  client_assertion: z.string().min(1).max(4000),
});
export const accessTokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
});

export const agentKeyKinds = ['bitlocker', 'luks'] as const;

export const agentStateResponse = z.object({
  enrolledDeviceId: z.string(),
  deviceName: z.string(),
  organisation: z.object({ id: z.string(), name: z.string() }),
  escrowPublicKey: z.string(),
  lastSequence: z.number().int(),
  policy: z.object({ ensureRecoveryPassword: z.boolean() }),
  rotate: z
    .array(z.object({ keyId: z.string() }))
    .describe('Keys of this device the server wants replaced (after a reveal, or on request)'),
});

export const checkInBody = z.object({
  client_assertion_type: z
    .literal('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    .optional(),
  client_assertion: z
    .string()
    .min(1)
    .max(4000)
    .optional()
    .describe('A signed challenge, for a device without a valid access token'),
});
export const checkInResponse = z.object({
  token: accessTokenResponse
    .optional()
    .describe('A new access token, when the check-in came with a signed challenge'),
  state: agentStateResponse,
});

const escrowedKey = z.object({
  keyId: z.string().min(1).max(64),
  sealedSecret: z
    .string()
    .min(1)
    .max(2000)
    .describe("The recovery password sealed to the organisation's escrow public key"),
  luksSlot: z.number().int().min(0).max(31).optional(),
});

export const escrowBody = z.object({
  sequence: z.number().int().min(1),
  drives: z
    .array(
      z.object({
        label: plainText(z.string().trim().min(1).max(200)),
        type: z.enum(volumeTypes),
        volumeGuid: z.string().min(1).max(100).nullable(),
        protectorTypes: z.array(z.string().min(1).max(40)).max(32),
        keys: z.array(escrowedKey).max(32),
      }),
    )
    .max(64),
  rotated: z
    .array(z.object({ replacedKeyId: z.string().max(64), newKeyId: z.string().max(64) }))
    .max(64)
    .default([]),
});

export const escrowResponse = z.object({
  stored: z.array(z.object({ keyId: z.string(), outcome: z.enum(['created', 'unchanged']) })),
  confirmedRotations: z.array(z.object({ replacedKeyId: z.string(), newKeyId: z.string() })),
  sequence: z.number().int(),
});

export type EnrollmentToken = z.output<typeof enrollmentToken>;
export type CreatedEnrollmentToken = z.output<typeof createdEnrollmentTokenResponse>;
export type EnrolledDevice = z.output<typeof enrolledDevice>;
export type EnrollBody = z.input<typeof enrollBody>;
export type EnrollAnswer = z.output<typeof enrollResponse>;
export type ChallengeAnswer = z.output<typeof challengeResponse>;
export type AccessTokenAnswer = z.output<typeof accessTokenResponse>;
export type AgentState = z.output<typeof agentStateResponse>;
export type CheckInBody = z.input<typeof checkInBody>;
export type CheckInAnswer = z.output<typeof checkInResponse>;
export type EscrowBody = z.input<typeof escrowBody>;
export type EscrowAnswer = z.output<typeof escrowResponse>;
