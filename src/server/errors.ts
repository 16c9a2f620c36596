import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** Errors the domain raises on purpose; each maps to one HTTP status and a stable code. */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details?: unknown) {
    super(400, 'invalid_request', message, details);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'Sign in to continue.') {
    super(401, 'unauthenticated', message);
  }
}

/** Wrong email, password or code: one message whatever was wrong, so nothing is given away. */
export class InvalidCredentialsError extends DomainError {
  constructor(message = 'The email or password is not right.') {
    super(401, 'invalid_credentials', message);
  }
}

export class SigninExpiredError extends DomainError {
  constructor() {
    super(401, 'signin_expired', 'Sign-in took too long. Start again with your email.');
  }
}

export class CsrfError extends DomainError {
  constructor() {
    super(
      403,
      'csrf_failed',
      'The request was refused because it did not come from the Keyhold app. Reload the page and try again.',
    );
  }
}

/** The Host names another server: a page from elsewhere whose name was pointed here. */
export class HostNotAllowedError extends DomainError {
  constructor() {
    super(
      421,
      'host_not_allowed',
      'Keyhold does not answer to this host name. Open it at the address your administrator gave you.',
    );
  }
}

export class WeakPasswordError extends DomainError {
  /** `codes` name each reason for clients that word it themselves (the web app, in Bokmål). */
  constructor(reasons: string[], codes: string[] = []) {
    super(400, 'weak_password', `Choose another password: ${reasons.join('; ')}.`, {
      reasons,
      codes,
    });
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/** Also used for "exists but is not yours", so the two cannot be told apart. */
export class NotFoundError extends DomainError {
  constructor(what = 'The item') {
    super(404, 'not_found', `${what} was not found.`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, details?: unknown) {
    super(409, 'conflict', message, details);
  }
}

/** Whole minutes to wait, at least one, as the messages of refusals name them. */
export function minutesToWait(retryAfterSeconds: number): string {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** Too many attempts; answered with a Retry-After header. Subclasses name their own limit. */
export class RateLimitedError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    code = 'rate_limited',
    message = `Too many attempts. Try again in ${minutesToWait(retryAfterSeconds)}.`,
    details: Record<string, unknown> = {},
  ) {
    super(429, code, message, { retryAfterSeconds, ...details });
  }
}

/** Text that would act on a screen (control characters, bidi overrides): see plain-text.ts. */
export const invalidCharactersCode = 'invalid_characters';

/** For text that does not arrive through a schema (an uploaded file's name or contents). */
export class InvalidCharactersError extends DomainError {
  constructor(field: string, what: string) {
    super(
      400,
      invalidCharactersCode,
      `${what} holds control characters or text-direction overrides; remove them and try again.`,
      [{ field, reason: 'remove control characters and text-direction overrides' }],
    );
  }
}

const frameworkErrors: Partial<Record<number, { code: string; message: string }>> = {
  413: { code: 'body_too_large', message: 'The request body is too large.' },
  415: {
    code: 'unsupported_media_type',
    message: 'Send the request body as JSON with content-type: application/json.',
  },
};

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * What a body, query or parameters refused by their schema is answered with. When every issue
 * is a refusal of plain-text.ts (control characters, bidi overrides), the code says so.
 */
export function validationFailure(error: FastifyError): ErrorBody['error'] {
  const issues = error.validation ?? [];
  const details = issues.map((issue) => ({
    field: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
    message: issue.message,
  }));
  const fields = details.map((d) => d.field || 'body').join(', ');
  const onlyCharacters = issues.every(
    (issue) =>
      (issue.params as { params?: { reason?: unknown } }).params?.reason === invalidCharactersCode,
  );
  return onlyCharacters
    ? {
        code: invalidCharactersCode,
        message: `${fields} holds control characters or text-direction overrides; remove them and try again.`,
        details,
      }
    : { code: 'invalid_request', message: `The request is not valid: check ${fields}.`, details };
}

/**
 * The one place errors become responses. Domain errors carry their own message; anything else
 * is logged and answered with a generic 500 so internals (and secrets) never reach the client.
 */
export function handleError(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof DomainError) {
    if (error instanceof RateLimitedError) {
      void reply.header('retry-after', String(error.retryAfterSeconds));
    }
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return reply.status(error.status).send(body);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return reply.status(400).send({ error: validationFailure(error) } satisfies ErrorBody);
  }
  const statusCode = 'statusCode' in error ? error.statusCode : undefined;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // Framework-level client errors (body too large, bad JSON, wrong content type).
    return reply.status(statusCode).send({
      error: frameworkErrors[statusCode] ?? {
        code:
          statusCode === 400 || !('code' in error) ? 'invalid_request' : error.code.toLowerCase(),
        message: error.message,
      },
    } satisfies ErrorBody);
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send({
    error: { code: 'internal', message: 'Something went wrong on the server. Try again.' },
  } satisfies ErrorBody);
}
