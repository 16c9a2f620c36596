import type { FastifyRequest } from 'fastify';
import type { $ZodIssue, $ZodRawIssue } from 'zod/v4/core';
import { locales } from 'zod';
import type { Language, Wording } from '../text/wording.js';

/**
 * The languages the server words its messages in, and a message in each (src/text/wording.ts,
 * shared with the pure modules and the CLI). The web app sends its interface language as
 * Accept-Language (web/src/api/client.ts); scripts that send none get English.
 */
export type { Language, Wording };

/**
 * The first language in Accept-Language that the server speaks, by the order of preference the
 * header gives (q-values). Norwegian in any written form (nb, no, nn) gets Bokmål, as in the app.
 */
export function languageOf(acceptLanguage: string | undefined): Language {
  const preferred = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...parameters] = part.trim().split(';');
      const q = parameters.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { base: tag.trim().toLowerCase().split('-')[0] ?? '', q: q ? Number(q) : 1, index };
    })
    .filter((entry) => entry.base !== '' && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { base } of preferred) {
    if (base === 'nb' || base === 'no' || base === 'nn') return 'nb';
    if (base === 'en') return 'en';
  }
  return 'en';
}

export function requestLanguage(request: FastifyRequest): Language {
  return languageOf(request.headers['accept-language']);
}

/** Whole-request messages the error handler words itself. */
export const requestMessages = {
  invalidRequest: (fields: string): Wording => ({
    en: `The request is not valid: check ${fields}.`,
    nb: `Forespørselen er ikke gyldig: sjekk ${fields}.`,
  }),
  invalidCharacters: (what: string): Wording => ({
    en: `${what} holds control characters or text-direction overrides; remove them and try again.`,
    nb: `${what} inneholder kontrolltegn eller tegn som snur skriveretningen; fjern dem og prøv igjen.`,
  }),
  bodyTooLarge: {
    en: 'The request body is too large.',
    nb: 'Forespørselen er for stor.',
  },
  unsupportedMediaType: {
    en: 'Send the request body as JSON with content-type: application/json.',
    nb: 'Send innholdet som JSON med content-type: application/json.',
  },
  internal: {
    en: 'Something went wrong on the server. Try again.',
    nb: 'Noe gikk galt på serveren. Prøv igjen.',
  },
  invalidJson: {
    en: 'The request body is not valid JSON.',
    nb: 'Innholdet i forespørselen er ikke gyldig JSON.',
  },
  emptyJson: {
    en: 'The request body is empty, but its content-type says JSON: send a JSON document, or no content-type.',
    nb: 'Innholdet i forespørselen er tomt, men content-type sier JSON: send et JSON-dokument, eller ingen content-type.',
  },
  contentLengthMismatch: {
    en: 'The request body is not as long as its Content-Length header says.',
    nb: 'Innholdet i forespørselen er ikke så langt som Content-Length-hodet sier.',
  },
  badUrl: {
    en: 'The address is not valid: part of it is percent-encoded (%) in a way that does not decode to text.',
    nb: 'Adressen er ikke gyldig: en del av den er prosentkodet (%) på en måte som ikke gir tekst.',
  },
  fileTooLarge: {
    en: 'The uploaded file is too large.',
    nb: 'Den opplastede filen er for stor.',
  },
  tooManyFormFields: {
    en: 'The form has more fields than an upload takes.',
    nb: 'Skjemaet har flere felt enn en opplasting tar imot.',
  },
  formFieldNotAllowed: {
    en: 'The form has a field name that is not allowed.',
    nb: 'Skjemaet har et feltnavn som ikke er tillatt.',
  },
  formFieldNotJson: {
    en: 'A form field sent as JSON is not valid JSON.',
    nb: 'Et skjemafelt som er sendt som JSON, er ikke gyldig JSON.',
  },
  unreadable: {
    en: 'The request could not be read: check its address, headers and body.',
    nb: 'Forespørselen kunne ikke leses: sjekk adressen, hodefeltene og innholdet.',
  },
} satisfies Record<string, Wording | ((...args: string[]) => Wording)>;

/**
 * What is wrong with one field (`details[].reason` of a refusal), for the reasons given in more
 * than one place; the others are worded where they are given.
 */
export const fieldReasons = {
  confirmItIsYou: {
    en: 'required to confirm it is you',
    nb: 'kreves for å bekrefte at det er deg',
  },
  cursorAsGiven: {
    en: 'use the nextCursor of a previous page as it was given',
    nb: 'bruk nextCursor fra en tidligere side slik den ble gitt',
  },
  notAMember: {
    en: 'not a member of this organisation',
    nb: 'ikke medlem av denne organisasjonen',
  },
  notAKeyId: { en: 'not a Key ID', nb: 'ikke en nøkkel-ID' },
  deviceName: (maximumLength: number): Wording => ({
    en: `Give the device's name (1 to ${maximumLength} characters), e.g. the PC's name.`,
    nb: `Oppgi navnet på enheten (1 til ${maximumLength} tegn), for eksempel navnet på PC-en.`,
  }),
} satisfies Record<string, Wording | ((...args: never[]) => Wording)>;

/**
 * What a not-found answer names, each worded once: NotFoundError makes "The organisation was not
 * found." of `things.organisation`, and the same words in Bokmål.
 */
export const things = {
  account: { en: 'The account', nb: 'Kontoen' },
  accountWithEmail: { en: 'An account with this email', nb: 'En konto med denne e-postadressen' },
  approval: { en: 'The approval', nb: 'Godkjenningen' },
  device: { en: 'The device', nb: 'Enheten' },
  domain: { en: 'The domain', nb: 'Domenet' },
  enrolledDevice: { en: 'The enrolled device', nb: 'Den innrullerte enheten' },
  enrollmentToken: { en: 'The enrollment token', nb: 'Innrulleringsnøkkelen' },
  file: { en: 'The file', nb: 'Filen' },
  invitation: { en: 'The invitation', nb: 'Invitasjonen' },
  key: { en: 'The key', nb: 'Nøkkelen' },
  member: { en: 'The member', nb: 'Medlemmet' },
  organisation: { en: 'The organisation', nb: 'Organisasjonen' },
  page: { en: 'The page', nb: 'Siden' },
  passkey: { en: 'The passkey', nb: 'Passnøkkelen' },
  session: { en: 'The session', nb: 'Økten' },
  token: { en: 'The token', nb: 'Tokenet' },
  userCode: { en: 'That code', nb: 'Den koden' },
} satisfies Record<string, Wording>;

/** Refusals given in more than one place, worded once. */
export const refusals = {
  signIn: { en: 'Sign in to continue.', nb: 'Logg inn for å fortsette.' },
  sendLoginToken: {
    en: 'Send the token from keyhold login.',
    nb: 'Send tokenet fra keyhold login.',
  },
  cursorFromFirstPage: {
    en: 'The cursor is not valid: start again from the first page.',
    nb: 'Pekeren er ikke gyldig: begynn på nytt fra første side.',
  },
  cursorFromPreviousPage: {
    en: 'The cursor is not valid: use the nextCursor of the previous page.',
    nb: 'Pekeren er ikke gyldig: bruk nextCursor fra forrige side.',
  },
} satisfies Record<string, Wording>;

const norwegianIssues = locales.no().localeError;

/**
 * One schema issue worded for a person. An issue whose message the schema set itself (a
 * `message:` in the schema) is English-only, so in Bokmål zod's own Norwegian wording of the
 * issue's kind is used instead.
 */
export function issueMessage(issue: $ZodRawIssue, english: string, language: Language): string {
  if (language === 'en') return english;
  const worded = norwegianIssues(issue);
  if (typeof worded === 'string') return worded;
  return worded?.message ?? english;
}

/**
 * A refused field's reason from an issue of a schema parsed in a route, in both languages. The
 * parse must report the input (`reportInput`): zod's Norwegian names the type that was received.
 */
export function issueReason(issue: $ZodIssue): Wording {
  return { en: issue.message, nb: issueMessage(issue as $ZodRawIssue, issue.message, 'nb') };
}
