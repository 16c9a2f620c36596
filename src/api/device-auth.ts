import { z } from 'zod';
import { plainText } from './plain-text.js';

/** The one grant type the token endpoint serves (RFC 8628 section 3.4). */
export const deviceCodeGrantType = 'urn:ietf:params:oauth:grant-type:device_code';

/** The only scope: key operations (add, search, reveal, record backups). */
export const keysScope = 'keys';

export const authorizeBody = z.object({
  client_id: z.string().min(1).max(100),
  scope: z.string().max(200).optional(),
  /** Not in RFC 8628: how the client describes itself to the person approving it. */
  device_name: plainText(z.string().trim().min(1).max(100)).optional(),
});

export const authorizeResponse = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int(),
  interval: z.number().int(),
});

export const tokenBody = z.object({
  grant_type: z.string().max(200),
  device_code: z.string().max(200),
  client_id: z.string().max(100),
});

export const tokenResponse = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});

/** RFC 6749 section 5.2 error body, which OAuth clients expect from a token endpoint. */
export const oauthErrorResponse = z.object({
  error: z.string(),
  error_description: z.string(),
});

/** Typed as shown ("wdjb mjht", "WDJB-MJHT"); checked in the service. */
export const userCodeBody = z.object({ userCode: z.string().trim().min(1).max(40) });
export const approveBody = userCodeBody.extend({ approve: z.boolean() });

export const deviceRequest = z
  .object({
    userCode: z.string(),
    clientName: z.string(),
    deviceName: z.string(),
    scope: z.string(),
    ipAddress: z.string().nullable(),
    requestedAt: z.string(),
    expiresAt: z.string(),
  })
  .meta({ id: 'DeviceRequest' });
export const deviceRequestResponse = z.object({ request: deviceRequest });
export const approveResponse = z.object({ status: z.enum(['approved', 'denied']) });

export const apiToken = z
  .object({
    id: z.string(),
    name: z.string(),
    client: z.string(),
    scope: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    lastIpAddress: z.string().nullable(),
    expiresAt: z.string(),
  })
  .meta({ id: 'ApiToken' });
export const tokensResponse = z.object({ tokens: z.array(apiToken) });

export const currentTokenResponse = z.object({
  account: z.object({ id: z.string(), email: z.string(), displayName: z.string() }),
  token: apiToken,
});

/** What `POST /device/authorize` answers: the codes a device shows while it waits. */
export type DeviceCodes = z.output<typeof authorizeResponse>;
export type DeviceTokenRequest = z.input<typeof tokenBody>;
export type IssuedToken = z.output<typeof tokenResponse>;
export type OAuthErrorBody = z.output<typeof oauthErrorResponse>;
/** A device waiting to be connected (`keyhold login`), as the approval page shows it. */
export type DeviceRequest = z.output<typeof deviceRequest>;
export type DeviceDecision = z.output<typeof approveResponse>;
/** A connected device's token; the token itself never reaches the browser. */
export type ApiToken = z.output<typeof apiToken>;
/** What `GET /device/token` answers the token's holder. */
export type TokenHolder = z.output<typeof currentTokenResponse>;
