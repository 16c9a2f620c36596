import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import { stdSerializers } from 'pino';

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
  // Header objects logged whole (multipart parsing does at trace level) carry these by name.
  'x-keyhold-csrf',
  'set-cookie',
];

const secretFieldSet = new Set(secretFields);
const censor = '[redacted]';

/** The headers that carry credentials, as pino's request and response serializers show them. */
export const redactedPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-keyhold-csrf"]',
  'res.headers["set-cookie"]',
];

/**
 * A copy of a log object with every secret field censored, however deep it sits (e.g.
 * `{ body: { password } }`). Runs only for lines that are written; pino's own wildcard redaction
 * would instead run for every request, because it also covers each request's child logger.
 */
export function censorSecrets(value: unknown, seen = new Set<object>()): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  // Errors and other class instances go to pino's serializers as they are.
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return value;
  // `seen` holds the objects on the way down, so only a real cycle is cut short.
  seen.add(value);
  let copy: unknown;
  if (Array.isArray(value)) {
    copy = value.map((item) => censorSecrets(item, seen));
  } else {
    const fields: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      fields[key] = secretFieldSet.has(key) ? censor : censorSecrets(field, seen);
    }
    copy = fields;
  }
  seen.delete(value);
  return copy;
}

/**
 * How a request appears in the log: the path without its query string, which can hold what a
 * person typed into search (a recovery password) or a device sign-in code.
 */
export function requestForLog(request: Partial<FastifyRequest>): Record<string, unknown> {
  // Something else logged under `req` by hand goes through as it is (and through redaction).
  if (typeof request.url !== 'string') return request;
  const query = request.url.indexOf('?');
  return {
    method: request.method,
    url: query === -1 ? request.url : request.url.slice(0, query),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/**
 * An error as logged. Node hands a request it cannot parse to the log as an error holding every
 * byte received (`rawPacket`: the query string, the cookie, the CSRF header); those stay out.
 */
export function errorForLog(error: Error): ReturnType<typeof stdSerializers.err> {
  const serialized = stdSerializers.err(error);
  delete serialized.rawPacket;
  return serialized;
}

export function loggerOptions(
  level: string,
  stream: NodeJS.WritableStream | undefined,
): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: redactedPaths, censor },
    serializers: { req: requestForLog, err: errorForLog },
    formatters: { log: (object) => censorSecrets(object) as Record<string, unknown> },
    ...(stream ? { stream } : {}),
  };
}
