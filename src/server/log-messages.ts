import type { Wording } from '../text/wording.js';

/**
 * The lines the server logs for its operator, worded in the server process's language (`say`,
 * from KEYHOLD_LANG or the locale) like the rest of what `keyhold serve` says. Answers to
 * requests follow each request's own language instead (messages.ts).
 */
export const operatorLogMessages = {
  listening: (address: string): Wording => ({
    en: `Server listening at ${address}`,
    nb: `Tjeneren lytter på ${address}`,
  }),
  incomingRequest: { en: 'incoming request', nb: 'forespørsel mottatt' },
  requestCompleted: { en: 'request completed', nb: 'forespørsel besvart' },
  requestErrored: { en: 'request errored', nb: 'forespørselen feilet' },
  unhandledError: {
    en: 'unhandled error',
    nb: 'uhåndtert feil',
  },
  webAppNotBuilt: (root: string): Wording => ({
    en: `the web app is not built (no ${root}/index.html); run npm run build:web`,
    nb: `nettappen er ikke bygget (ingen ${root}/index.html); kjør npm run build:web`,
  }),
  metricsServing: (url: string): Wording => ({
    en: `metrics on ${url}`,
    nb: `måledata på ${url}`,
  }),
  metricsFailed: {
    en: 'collecting metrics failed',
    nb: 'innsamlingen av måledata mislyktes',
  },
  pruneFailed: {
    en: 'pruning old sign-in state failed',
    nb: 'oppryddingen i gammel påloggingstilstand mislyktes',
  },
  purgeFailed: {
    en: 'purging deleted keys failed',
    nb: 'den endelige slettingen av slettede nøkler mislyktes',
  },
} satisfies Record<string, Wording | ((...values: never[]) => Wording)>;
