import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import { prettyFactory, type MessageFormatFunc } from 'pino-pretty';

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

/** The `--log-format` setting: `auto` is `pretty` when the log goes to a terminal, else `json`. */
export type LogFormatSetting = 'auto' | 'pretty' | 'json';
export type LogFormat = 'pretty' | 'json';

export function resolveLogFormat(
  setting: LogFormatSetting,
  destination: object = process.stdout,
): LogFormat {
  if (setting !== 'auto') return setting;
  return 'isTTY' in destination && destination.isTTY === true ? 'pretty' : 'json';
}

/**
 * Marks a log line that a person must act on (the new master key). In JSON it is an ordinary
 * warning with this field; on a terminal it is drawn as a framed notice.
 */
export const noticeField = 'notice';

const noticeWidth = 72;

/** Words wrapped into lines of at most `width` characters (a longer word keeps its own line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** A titled box around a message, set apart by a blank line above and below. */
export function framedNotice(title: string, message: string): string {
  const inner = noticeWidth - 4;
  const lines = [title.toUpperCase(), '', ...wrap(message, inner)].map(
    (line) => `║ ${line.padEnd(inner)} ║`,
  );
  const rule = '═'.repeat(noticeWidth - 2);
  return ['', `╔${rule}╗`, ...lines, `╚${rule}╝`, ''].join('\n');
}

/**
 * The message of a line on a terminal: a request as `GET /api/v1/keys 200 3 ms` instead of its
 * `req` and `res` objects, a notice framed.
 */
const prettyMessage: MessageFormatFunc = (log, messageKey, _levelLabel, { colors }) => {
  const message = typeof log[messageKey] === 'string' ? log[messageKey] : '';
  const notice = log[noticeField];
  if (typeof notice === 'string') return colors.yellow(framedNotice(notice, message));
  const req = log.req as { method?: unknown; url?: unknown } | undefined;
  if (typeof req?.method !== 'string' || typeof req.url !== 'string') return message;
  const status = (log.res as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status !== 'number') return `${req.method} ${req.url} (${message})`;
  const time = typeof log.responseTime === 'number' ? ` ${Math.round(log.responseTime)} ms` : '';
  return `${req.method} ${req.url} ${status}${time}`;
};

/**
 * Lines for a person on a terminal, formatted in this process: the same JSON pino writes, after
 * redaction and censoring, turned into text by pino-pretty and written synchronously, so the
 * last line before exit is never lost and no transport thread has to find pino-pretty.
 */
function prettyDestination(target: NodeJS.WritableStream | DestinationStream): DestinationStream {
  const format = prettyFactory({
    translateTime: 'SYS:HH:MM:ss',
    ignore: `pid,hostname,reqId,req,res,responseTime,${noticeField}`,
    messageFormat: prettyMessage,
  });
  return {
    write: (line: string) => {
      target.write(format(line));
    },
  };
}

export function loggerOptions(
  level: string,
  stream: NodeJS.WritableStream | DestinationStream | undefined,
  format: LogFormat = 'json',
): FastifyServerOptions['logger'] {
  if (format === 'json') return loggerFields(level, stream);
  return loggerFields(
    level,
    prettyDestination(stream ?? pino.destination({ dest: 1, sync: true })),
  );
}

function loggerFields(
  level: string,
  destination: NodeJS.WritableStream | DestinationStream | undefined,
): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: redactedPaths, censor },
    serializers: { req: requestForLog, err: errorForLog },
    formatters: { log: (object) => censorSecrets(object) as Record<string, unknown> },
    ...(destination ? { stream: destination } : {}),
  };
}

/** A logger outside the server (the `--workers` supervisor), with the same rules and format. */
export function processLogger(level: string, format: LogFormat): Logger {
  const options = loggerOptions(level, undefined, format) as pino.LoggerOptions & {
    stream?: DestinationStream;
  };
  const { stream, ...rest } = options;
  return stream ? pino(rest, stream) : pino(rest);
}
