import type { FastifyServerOptions } from 'fastify';

/** Every field name that can hold a secret anywhere in the API or the services. */
const secretFields = [
  'password',
  'currentPassword',
  'newPassword',
  'totp',
  'recoveryCode',
  'recoveryCodes',
  'recoveryPassword',
  'secret',
  'otpauthUri',
  'challenge',
  'csrfToken',
  'token',
  'masterKey',
  'cookie',
  'authorization',
];

/**
 * pino's redaction paths: the secret fields at the top of a log object and up to three levels
 * down (e.g. `{ body: { password } }`, `{ req: { headers: { cookie } } }`), plus the headers
 * that carry credentials. Redaction happens in pino itself, before anything is written.
 */
export const redactedPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-keyhold-csrf"]',
  'res.headers["set-cookie"]',
  ...secretFields.flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`]),
];

export function loggerOptions(
  level: string,
  stream: NodeJS.WritableStream | undefined,
): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    ...(stream ? { stream } : {}),
  };
}
