import type { Wording } from '../../../text/wording.js';

/**
 * The `error_description` of each RFC 8628 refusal. `keyhold login` shows it when it has no
 * wording of its own for the error code, so it follows the request's Accept-Language like every
 * other message of the server.
 */
export const deviceAuthRefusals = {
  unknownClient: (clientId: string): Wording => ({
    en: `Unknown client "${clientId}".`,
    nb: `Ukjent klient «${clientId}».`,
  }),
  onlyScope: (scope: string): Wording => ({
    en: `The only scope is "${scope}" (key operations).`,
    nb: `Det eneste omfanget er «${scope}» (nøkkeloperasjoner).`,
  }),
  grantTypeRequired: (grantType: string): Wording => ({
    en: `grant_type must be ${grantType}.`,
    nb: `grant_type må være ${grantType}.`,
  }),
  codeAndClientRequired: {
    en: 'device_code and client_id are required.',
    nb: 'device_code og client_id må være med.',
  },
  unknownCode: {
    en: 'This device code is not known. Start again.',
    nb: 'Denne enhetskoden er ukjent. Begynn på nytt.',
  },
  codeExpired: {
    en: 'The code expired before it was approved. Start again.',
    nb: 'Koden gikk ut før den ble godkjent. Begynn på nytt.',
  },
  slowDown: (seconds: number): Wording => ({
    en: `Poll at most every ${seconds} seconds.`,
    nb: `Spør høyst hvert ${seconds}. sekund.`,
  }),
  pending: {
    en: 'Waiting for the person to approve the code.',
    nb: 'Venter på at personen godkjenner koden.',
  },
  denied: { en: 'The request was denied.', nb: 'Forespørselen ble avslått.' },
  codeUsed: {
    en: 'This device code was already used. Start again.',
    nb: 'Denne enhetskoden er allerede brukt. Begynn på nytt.',
  },
} satisfies Record<string, Wording | ((...values: never[]) => Wording)>;
