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
import { say } from '../text/terminal-language.js';
import { operatorLogMessages } from './log-messages.js';

/**
 * One field a refusal names and what is wrong with it. `reason` is a Wording, worded in the
 * request's language in the answer; a plain string does not type-check, so no reason can stay
 * English by mistake.
 */
export interface FieldRefusal {
  field: string;
  reason: Wording;
  /** For a recovery password: the block at fault (1 to 8) and what was typed there. */
  block?: number;
  value?: string;
}

/** What an error adds to its answer: the fields it refuses, or facts for scripts. */
export type ErrorDetails = readonly FieldRefusal[] | Readonly<Record<string, unknown>>;

function isFieldList(details: ErrorDetails): details is readonly FieldRefusal[] {
  return Array.isArray(details);
}

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
    readonly details?: ErrorDetails,
  ) {
    super(wording.en);
    this.name = new.target.name;
  }

  messageIn(language: Language): string {
    return this.wording[language];
  }

  /** The details as the answer gives them: each field's reason in `language`, in its place. */
  detailsIn(language: Language): unknown {
    if (this.details === undefined || !isFieldList(this.details)) return this.details;
    return this.details.map((refusal) => ({ ...refusal, reason: refusal.reason[language] }));
  }
}

export class ValidationError extends DomainError {
  constructor(message: Wording, fields?: readonly FieldRefusal[]) {
    super(400, 'invalid_request', message, fields);
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
  constructor(message: Wording, details?: ErrorDetails) {
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
      [
        {
          field,
          reason: {
            en: 'remove control characters and text-direction overrides',
            nb: 'fjern kontrolltegn og tegn som snur skriveretningen',
          },
        },
      ],
    );
  }
}

/** The codes and default messages of framework refusals whose status says what they are. */
const frameworkStatuses: Partial<Record<number, { code: string; message: Wording }>> = {
  413: { code: 'body_too_large', message: requestMessages.bodyTooLarge },
  415: { code: 'unsupported_media_type', message: requestMessages.unsupportedMediaType },
};

/**
 * Refusals Fastify and @fastify/multipart (the key import's uploads) raise before a route's
 * handler runs, worded by their code: their own text is English only, and may name internals.
 */
const frameworkMessages: Partial<Record<string, Wording>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: requestMessages.invalidJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: requestMessages.emptyJson,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: requestMessages.contentLengthMismatch,
  FST_ERR_BAD_URL: requestMessages.badUrl,
  FST_REQ_FILE_TOO_LARGE: requestMessages.fileTooLarge,
  FST_FIELDS_LIMIT: requestMessages.tooManyFormFields,
  FST_PROTO_VIOLATION: requestMessages.formFieldNotAllowed,
  FST_INVALID_JSON_FIELD_ERROR: requestMessages.formFieldNotJson,
};

/**
 * A client error the framework raised. The code is the one these answers have always had; the
 * message is worded by the error's code or status, and any other refusal gets a general one, so
 * no framework English reaches a person who reads another language.
 */
function frameworkRefusal(
  error: FastifyError | Error,
  statusCode: number,
  language: Language,
): ErrorBody['error'] {
  const frameworkCode = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const byStatus = frameworkStatuses[statusCode];
  const code =
    byStatus?.code ??
    (statusCode === 400 || frameworkCode === undefined
      ? 'invalid_request'
      : frameworkCode.toLowerCase());
  const message =
    (frameworkCode === undefined ? undefined : frameworkMessages[frameworkCode]) ??
    byStatus?.message ??
    requestMessages.unreadable;
  return { code, message: message[language] };
}

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
    if (error.details !== undefined) body.error.details = error.detailsIn(language);
    return reply.status(error.status).send(body);
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    return reply
      .status(400)
      .send({ error: validationFailure(error, language) } satisfies ErrorBody);
  }
  const statusCode = 'statusCode' in error ? error.statusCode : undefined;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return reply
      .status(statusCode)
      .send({ error: frameworkRefusal(error, statusCode, language) } satisfies ErrorBody);
  }
  request.log.error({ err: error }, say(operatorLogMessages.unhandledError));
  return reply.status(500).send({
    error: { code: 'internal', message: requestMessages.internal[language] },
  } satisfies ErrorBody);
}
