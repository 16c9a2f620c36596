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

export class RateLimitedError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
    super(
      429,
      'rate_limited',
      `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    );
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
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
    const details = error.validation.map((issue) => ({
      field: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
      message: issue.message,
    }));
    const fields = details.map((d) => d.field || 'body').join(', ');
    return reply.status(400).send({
      error: {
        code: 'invalid_request',
        message: `The request is not valid: check ${fields}.`,
        details,
      },
    } satisfies ErrorBody);
  }
  const statusCode = 'statusCode' in error ? error.statusCode : undefined;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // Framework-level client errors (body too large, bad JSON, wrong content type).
    return reply.status(statusCode).send({
      error: {
        code: 'code' in error ? error.code.toLowerCase() : 'bad_request',
        message: error.message,
      },
    } satisfies ErrorBody);
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send({
    error: { code: 'internal', message: 'Something went wrong on the server. Try again.' },
  } satisfies ErrorBody);
}
