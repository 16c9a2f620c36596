import type { Wording } from '../text/wording.js';

/**
 * What `keyhold serve` and `keyhold admin` say about a setting they cannot use, after the
 * setting's flag and variable ("--port (KEYHOLD_PORT): must be a whole number"). Each rule the
 * configuration checks has its own sentence here; zod's own texts never reach the operator.
 */
export const configMessages = {
  invalidConfiguration: (lines: Wording[]): Wording => ({
    en: `Invalid configuration:\n  ${lines.map((line) => line.en).join('\n  ')}`,
    nb: `Ugyldige innstillinger:\n  ${lines.map((line) => line.nb).join('\n  ')}`,
  }),
  wholeNumber: { en: 'must be a whole number', nb: 'må være et heltall' },
  atLeast: (minimum: string): Wording => ({
    en: `must be at least ${minimum}`,
    nb: `må være minst ${minimum}`,
  }),
  atMost: (maximum: string): Wording => ({
    en: `must be at most ${maximum}`,
    nb: `kan være høyst ${maximum}`,
  }),
  notEmpty: { en: 'must not be empty', nb: 'kan ikke være tom' },
  oneOf: (choices: string): Wording => ({
    en: `must be one of ${choices}`,
    nb: `må være en av ${choices}`,
  }),
  unusable: {
    en: 'has a value Keyhold cannot use; see keyhold serve --help',
    nb: 'har en verdi Keyhold ikke kan bruke; se keyhold serve --help',
  },
  publicUrl: {
    en: 'must be the address people open Keyhold at, with http:// or https://, such as https://keys.example.org',
    nb: 'må være adressen folk åpner Keyhold på, med http:// eller https://, for eksempel https://keys.example.org',
  },
  databaseUrl: {
    en: 'must start with postgres:// or postgresql://',
    nb: 'må begynne med postgres:// eller postgresql://',
  },
  metricsListen: {
    en: 'must be host:port, such as 127.0.0.1:9464',
    nb: 'må være vert:port, for eksempel 127.0.0.1:9464',
  },
  smtpUrl: {
    en: 'must start with smtp:// or smtps://',
    nb: 'må begynne med smtp:// eller smtps://',
  },
  mailFrom: {
    en: 'must be an address such as keyhold@example.org or "Keyhold <keyhold@example.org>"',
    nb: 'må være en adresse som keyhold@example.org eller «Keyhold <keyhold@example.org>»',
  },
  notAnAddress: (entry: string): Wording => ({
    en: `"${entry}" is not an IP address or a range such as 10.0.0.0/8`,
    nb: `«${entry}» er ikke en IP-adresse eller et område som 10.0.0.0/8`,
  }),
  tlsPair: {
    en: 'set both --tls-cert and --tls-key, or neither',
    nb: 'gi både --tls-cert og --tls-key, eller ingen av dem',
  },
  onlyBehindProxy: {
    en: 'only applies behind a proxy: add --behind-proxy (KEYHOLD_BEHIND_PROXY)',
    nb: 'gjelder bare bak en mellomtjener (proxy): legg til --behind-proxy (KEYHOLD_BEHIND_PROXY)',
  },
  proxiesOrHops: {
    en: 'give either --trusted-proxies or --proxy-hops, not both',
    nb: 'gi enten --trusted-proxies eller --proxy-hops, ikke begge',
  },
  mailNeedsSender: {
    en: 'email needs a sender: give --mail-from with --smtp-url',
    nb: 'e-post trenger en avsender: gi --mail-from sammen med --smtp-url',
  },
  mailNeedsServer: {
    en: 'email needs an SMTP server: give --smtp-url with --mail-from',
    nb: 'e-post trenger en SMTP-tjener: gi --smtp-url sammen med --mail-from',
  },
  mailNeedsPublicUrl: {
    en: 'email links need the address people reach Keyhold at: give --public-url with --smtp-url',
    nb: 'lenker i e-post trenger adressen folk når Keyhold på: gi --public-url sammen med --smtp-url',
  },
  masterKeyTwice: {
    en: 'give the master key either in KEYHOLD_MASTER_KEY or as a file, not both',
    nb: 'gi hovednøkkelen enten i KEYHOLD_MASTER_KEY eller som fil, ikke begge',
  },
  plainHttp: (host: string): Wording => ({
    en:
      `refusing to serve recovery keys over plain HTTP on ${host}. ` +
      'Give --tls-cert and --tls-key, or --behind-proxy when a TLS-terminating proxy ' +
      'sits in front, or listen on 127.0.0.1',
    nb:
      `serverer ikke gjenopprettingsnøkler over ukryptert HTTP på ${host}. ` +
      'Gi --tls-cert og --tls-key, eller --behind-proxy når en mellomtjener som avslutter TLS ' +
      'står foran, eller lytt på 127.0.0.1',
  }),
} satisfies Record<string, Wording | ((...values: never[]) => Wording)>;
