import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { $ZodRawIssue } from 'zod/v4/core';
import { invalidCharactersCode, type ErrorBody } from '../api/errors.js';
import {
  issueMessage,
  refusals,
  requestLanguage,
  requestMessages,
  type Language,
  type Wording,
} from './messages.js';

/**
 * Errors the domain raises on purpose; each maps to one HTTP status and a stable code. The
 * message is a Wording, so it reaches every client (the web app, the command line, a script) in
 * the language the request asks for (messages.ts); `message` is its English, for logs.
 */
export class DomainError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly wording: Wording,
    readonly details?: unknown,
  ) {
    super(wording.en);
    this.name = new.target.name;
  }

  messageIn(language: Language): string {
    return this.wording[language];
  }
}

export class ValidationError extends DomainError {
  constructor(message: Wording, details?: unknown) {
    super(400, 'invalid_request', message, details);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message: Wording = refusals.signIn) {
    super(401, 'unauthenticated', message);
  }
}

/** Wrong email, password or code: one message whatever was wrong, so nothing is given away. */
export class InvalidCredentialsError extends DomainError {
  constructor(
    message: Wording = {
      en: 'The email or password is not right.',
      nb: 'E-postadressen eller passordet er ikke riktig.',
    },
  ) {
    super(401, 'invalid_credentials', message);
  }
}

export class SigninExpiredError extends DomainError {
  constructor() {
    super(401, 'signin_expired', {
      en: 'Sign-in took too long. Start again with your email.',
      nb: 'Påloggingen tok for lang tid. Begynn på nytt med e-postadressen din.',
    });
  }
}

export class CsrfError extends DomainError {
  constructor() {
    super(403, 'csrf_failed', {
      en: 'The request was refused because it did not come from the Keyhold app. Reload the page and try again.',
      nb: 'Forespørselen ble avvist fordi den ikke kom fra Keyhold-appen. Last inn siden på nytt og prøv igjen.',
    });
  }
}

/** The Host names another server: a page from elsewhere whose name was pointed here. */
export class HostNotAllowedError extends DomainError {
  constructor() {
    super(421, 'host_not_allowed', {
      en: 'Keyhold does not answer to this host name. Open it at the address your administrator gave you.',
      nb: 'Keyhold svarer ikke på dette vertsnavnet. Åpne det på adressen administratoren din ga deg.',
    });
  }
}

export class WeakPasswordError extends DomainError {
  /**
   * `details.reasons` stay in English for scripts; `codes` name each reason for clients that word
   * it themselves (the web app).
   */
  constructor(reasons: Wording[], codes: string[] = []) {
    super(
      400,
      'weak_password',
      {
        en: `Choose another password: ${reasons.map((reason) => reason.en).join('; ')}.`,
        nb: `Velg et annet passord: ${reasons.map((reason) => reason.nb).join('; ')}.`,
      },
      { reasons: reasons.map((reason) => reason.en), codes },
    );
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: Wording) {
    super(403, 'forbidden', message);
  }
}

/**
 * Also used for "exists but is not yours", so the two cannot be told apart. `what` names the
 * thing in each language, from `things` in messages.ts.
 */
export class NotFoundError extends DomainError {
  constructor(what: Wording) {
    super(404, 'not_found', { en: `${what.en} was not found.`, nb: `${what.nb} ble ikke funnet.` });
  }
}

export class ConflictError extends DomainError {
  constructor(message: Wording, details?: unknown) {
    super(409, 'conflict', message, details);
  }
}

/** Whole minutes to wait, at least one, as the messages of refusals name them. */
export function minutesToWait(retryAfterSeconds: number): Wording {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  return {
    en: `${minutes} minute${minutes === 1 ? '' : 's'}`,
    nb: `${minutes} ${minutes === 1 ? 'minutt' : 'minutter'}`,
  };
}

/** Too many attempts; answered with a Retry-After header. Subclasses name their own limit. */
export class RateLimitedError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    code = 'rate_limited',
    message: Wording = {
      en: `Too many attempts. Try again in ${minutesToWait(retryAfterSeconds).en}.`,
      nb: `For mange forsøk. Prøv igjen om ${minutesToWait(retryAfterSeconds).nb}.`,
    },
    details: Record<string, unknown> = {},
  ) {
    super(429, code, message, { retryAfterSeconds, ...details });
  }
}

/** For text that does not arrive through a schema (an uploaded file's name or contents). */
export class InvalidCharactersError extends DomainError {
  /** `what` names the text in each language: "The device name", "Enhetsnavnet". */
  constructor(field: string, what: Wording) {
    super(
      400,
      invalidCharactersCode,
      {
        en: requestMessages.invalidCharacters(what.en).en,
        nb: requestMessages.invalidCharacters(what.nb).nb,
      },
      [{ field, reason: 'remove control characters and text-direction overrides' }],
    );
  }
}

const frameworkErrors: Partial<Record<number, { code: string; message: Wording }>> = {
  413: { code: 'body_too_large', message: requestMessages.bodyTooLarge },
  415: { code: 'unsupported_media_type', message: requestMessages.unsupportedMediaType },
};

/**
 * What a body, query or parameters refused by their schema is answered with. When every issue
 * is a refusal of src/api/plain-text.ts (control characters, bidi overrides), the code says so.
 */
export function validationFailure(
  error: FastifyError,
  language: Language = 'en',
): ErrorBody['error'] {
  const issues = error.validation ?? [];
  const details = issues.map((issue) => {
    const path = issue.instancePath.replace(/^\//, '');
    const raw = {
      ...issue.params,
      code: issue.keyword,
      path: path === '' ? [] : path.split('/'),
      message: issue.message,
    } as $ZodRawIssue;
    return {
      field: path.replaceAll('/', '.'),
      message: issueMessage(raw, issue.message ?? '', language),
    };
  });
  const fields = details.map((d) => d.field || 'body').join(', ');
  const onlyCharacters = issues.every(
    (issue) =>
      (issue.params as { params?: { reason?: unknown } }).params?.reason === invalidCharactersCode,
  );
  return onlyCharacters
    ? {
        code: invalidCharactersCode,
        message: requestMessages.invalidCharacters(fields)[language],
        details,
      }
    : {
        code: 'invalid_request',
        message: requestMessages.invalidRequest(fields)[language],
        details,
      };
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
  const language = requestLanguage(request);
  if (error instanceof DomainError) {
    if (error instanceof RateLimitedError) {
      void reply.header('retry-after', String(error.retryAfterSeconds));
    }
    const body: ErrorBody = { error: { code: error.code, message: error.messageIn(language) } };
    if (error.details !== undefined) body.error.details = error.details;
    return reply.status(error.status).send(body);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return reply
      .status(400)
      .send({ error: validationFailure(error, language) } satisfies ErrorBody);
  }
  const statusCode = 'statusCode' in error ? error.statusCode : undefined;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // Framework-level client errors (body too large, bad JSON, wrong content type).
    const known = frameworkErrors[statusCode];
    return reply.status(statusCode).send({
      error: known
        ? { code: known.code, message: known.message[language] }
        : {
            code:
              statusCode === 400 || !('code' in error)
                ? 'invalid_request'
                : error.code.toLowerCase(),
            message: error.message,
          },
    } satisfies ErrorBody);
  }
  request.log.error({ err: error }, 'unhandled error');
  return reply.status(500).send({
    error: { code: 'internal', message: requestMessages.internal[language] },
  } satisfies ErrorBody);
}
