import { groupedDigits, type Wording } from '../../text/wording.js';

/**
 * Everything `keyhold verify`, `unlock` and `inspect` tell a person about a volume and the key
 * given for it, in English and Bokmål (printed with `say`). Flags, paths, protector types and
 * Key IDs stay as they are in both languages.
 */
export const volumeMessages = {
  // --help of verify, unlock and inspect
  volumeArgument: {
    en: 'a volume image file or a block device (opened read-only)',
    nb: 'en bildefil av et volum eller en blokkenhet (åpnes skrivebeskyttet)',
  } satisfies Wording,

  // verify and unlock: the key that does not open the volume
  noMatchingProtector: (triedType: string, present: string): Wording => ({
    en: `the volume has no ${triedType} protector (it has: ${present || 'none'})`,
    nb: `volumet har ingen ${triedType}-beskytter (det har: ${present || 'ingen'})`,
  }),
  matchesNoProtector: (triedType: string): Wording => ({
    en: `it matches none of the volume's ${triedType} protectors`,
    nb: `den passer ikke med noen av volumets ${triedType}-beskyttere`,
  }),
  doesNotOpen: (detail: Wording): Wording => ({
    en: `this key does not open this volume: ${detail.en}.`,
    nb: `denne nøkkelen låser ikke opp dette volumet: ${detail.nb}.`,
  }),
  noLabel: { en: 'no:', nb: 'nei:' },
  opensLabel: { en: 'opens', nb: 'låser opp' },
  opens: (protectorId: string, type: string, volumeGuid: string, account?: string): Wording => ({
    en: `${protectorId} (${type}) on volume ${volumeGuid}${account === undefined ? '' : ` (the key held by ${account})`}`,
    nb: `${protectorId} (${type}) på volum ${volumeGuid}${account === undefined ? '' : ` (nøkkelen som ${account} har)`}`,
  }),
  accountWithoutFromAccount: {
    en: '--account chooses the login for --from-account; give --from-account too.',
    nb: '--account velger påloggingen for --from-account; oppgi --from-account også.',
  },
  oneKeyWithAccount: (others: string[]): Wording => ({
    en: `Give one key at a time, not --from-account and ${others.join(' and ')}.`,
    nb: `Oppgi én nøkkel om gangen, ikke --from-account og ${others.join(' og ')}.`,
  }),

  // the secret given on the command line
  noKeyGiven: {
    en: 'Say which key to use: --recovery-password, --password, --bek or --clear-key.',
    nb: 'Si hvilken nøkkel som skal brukes: --recovery-password, --password, --bek eller --clear-key.',
  },
  oneKeyAtATime: (given: string[]): Wording => ({
    en: `Give one key at a time, not ${given.join(' and ')}.`,
    nb: `Oppgi én nøkkel om gangen, ikke ${given.join(' og ')}.`,
  }),
  recoveryPasswordInvalid: (reason: Wording): Wording => ({
    en: `The recovery password is not valid: ${reason.en}`,
    nb: `Gjenopprettingsnøkkelen er ikke gyldig: ${reason.nb}`,
  }),
  passwordEmpty: { en: 'The password is empty.', nb: 'Passordet er tomt.' },

  // --from-account
  keyIdTooShort: (input: string, minimum: number): Wording => ({
    en: `--from-account "${input}" is too short: give the Key ID or at least its first ${minimum} characters.`,
    nb: `--from-account "${input}" er for kort: oppgi nøkkel-ID-en eller minst de ${minimum} første tegnene.`,
  }),
  notLoggedIn: {
    en: 'You are not logged in to any Keyhold server. Run: keyhold login <server>',
    nb: 'Du er ikke logget på noen Keyhold-server. Kjør: keyhold login <server>',
  },
  keyIdAmbiguous: (keyId: string, count: number, list: string): Wording => ({
    en: `Key ID ${keyId} matches ${count} keys; give more of the Key ID (or --account):\n${list}`,
    nb: `Nøkkel-ID ${keyId} passer med ${count} nøkler; oppgi mer av nøkkel-ID-en (eller --account):\n${list}`,
  }),
  searchIncomplete: (keyId: string, problems: string): Wording => ({
    en: `Could not search every logged-in account for Key ID ${keyId}:\n  ${problems}`,
    nb: `Kunne ikke søke etter nøkkel-ID ${keyId} i alle påloggede kontoer:\n  ${problems}`,
  }),
  keyIdNotHeld: (keyId: string, searched: string): Wording => ({
    en: `No logged-in account holds a key with Key ID ${keyId} (searched ${searched}).`,
    nb: `Ingen pålogget konto har en nøkkel med nøkkel-ID ${keyId} (søkte i ${searched}).`,
  }),
  heldPasswordInvalid: (login: string, protectorId: string, blocks: number[]): Wording => ({
    en: `The recovery password ${login} holds for ${protectorId} is not valid${blocks.length > 0 ? ` (block ${blocks.join(', ')})` : ''}; check the key in the web app.`,
    nb: `Gjenopprettingsnøkkelen som ${login} har for ${protectorId}, er ikke gyldig${blocks.length > 0 ? ` (blokk ${blocks.join(', ')})` : ''}; sjekk nøkkelen i nettappen.`,
  }),

  // unlock: where the decrypted image goes
  standardOutput: { en: 'standard output', nb: 'standard ut' },
  refuseTerminal: {
    en: 'Refusing to write a volume image to the terminal: redirect standard output (> file, | command) or give --out FILE.',
    nb: 'Nekter å skrive et volumbilde til terminalen: send standard ut videre (> fil, | kommando) eller oppgi --out FIL.',
  },
  outIsFolder: (path: string): Wording => ({
    en: `${path} is a folder; give --out the name of the image file to write.`,
    nb: `${path} er en mappe; gi --out navnet på bildefilen som skal skrives.`,
  }),
  outExists: (path: string): Wording => ({
    en: `${path} already exists. Choose another --out, or add --force to replace it.`,
    nb: `${path} finnes allerede. Velg en annen --out, eller legg til --force for å erstatte den.`,
  }),
  outNotRegular: (path: string): Wording => ({
    en: `${path} is not a regular file; Keyhold writes images to files or "-".`,
    nb: `${path} er ikke en vanlig fil; Keyhold skriver bilder til filer eller "-".`,
  }),
  cannotWriteFolder: (folder: string, code: string): Wording => ({
    en: `Cannot write to ${folder} (${code}).`,
    nb: `Kan ikke skrive til ${folder} (${code}).`,
  }),
  outAppeared: (path: string): Wording => ({
    en: `${path} appeared while the volume was being decrypted; nothing was replaced. Choose another --out, or add --force to replace it.`,
    nb: `${path} dukket opp mens volumet ble dekryptert; ingenting ble erstattet. Velg en annen --out, eller legg til --force for å erstatte den.`,
  }),
  outFolderMissing: (out: string, folder: string): Wording => ({
    en: `--out ${out}: the folder ${folder} does not exist. Create it first, or choose another --out.`,
    nb: `--out ${out}: mappen ${folder} finnes ikke. Opprett den først, eller velg en annen --out.`,
  }),
  outFolderNotFolder: (out: string, folder: string): Wording => ({
    en: `--out ${out}: ${folder} is not a folder. Choose another --out.`,
    nb: `--out ${out}: ${folder} er ikke en mappe. Velg en annen --out.`,
  }),
  outIsSource: (out: string): Wording => ({
    en: `--out ${out} is the volume being read; write the decrypted image elsewhere.`,
    nb: `--out ${out} er volumet som leses; skriv det dekrypterte bildet et annet sted.`,
  }),

  // unlock: the copy itself
  badThreads: (value: string): Wording => ({
    en: `--threads ${value}: give a whole number of threads from 1 to 256.`,
    nb: `--threads ${value}: oppgi et helt antall tråder fra 1 til 256.`,
  }),
  writeFailed: (name: string, code: string): Wording => ({
    en: `Writing ${name} failed (${code}).`,
    nb: `Skriving til ${name} mislyktes (${code}).`,
  }),
  decrypting: { en: 'Decrypting', nb: 'Dekrypterer' },
  timeLeft: (left: string): Wording => ({ en: `${left} left`, nb: `${left} igjen` }),
  wrote: (
    bytes: number,
    name: string,
    seconds: number,
    type: string,
    protectorId: string,
  ): Wording => {
    const rate = (bytes / 1e6 / seconds).toFixed(0);
    return {
      en: `Wrote ${groupedDigits(bytes, 'en')} bytes of decrypted volume to ${name} in ${seconds.toFixed(1)} s (${rate} MB/s), opened with ${type} protector ${protectorId}.`,
      nb: `Skrev ${groupedDigits(bytes, 'nb')} byte dekryptert volum til ${name} på ${seconds.toFixed(1).replace('.', ',')} s (${rate} MB/s), låst opp med ${type}-beskytter ${protectorId}.`,
    };
  },

  // --verbose: which crypto runs
  addonOutdated: (missing: string): Wording => ({
    en: `it was built from an older Keyhold and has no ${missing}; \`npm run build:native\` rebuilds it`,
    nb: `det ble bygget fra en eldre Keyhold og mangler ${missing}; \`npm run build:native\` bygger det på nytt`,
  }),
  addonNotBuilt: {
    en: 'it is not built; `npm run build:native` builds it',
    nb: 'det er ikke bygget; `npm run build:native` bygger det',
  },
  stretchOpenSslByChoice: {
    en: 'key stretch through OpenSSL (KEYHOLD_NATIVE_SHA=0)',
    nb: 'nøkkelstrekking gjennom OpenSSL (KEYHOLD_NATIVE_SHA=0)',
  },
  stretchShaInstructions: {
    en: "key stretch on the CPU's SHA instructions",
    nb: 'nøkkelstrekking med prosessorens SHA-instruksjoner',
  },
  stretchOpenSslNoSha: {
    en: 'key stretch through OpenSSL (this CPU has no SHA instructions)',
    nb: 'nøkkelstrekking gjennom OpenSSL (denne prosessoren har ikke SHA-instruksjoner)',
  },
  cryptoWebAssemblyByChoice: {
    en: 'crypto: WebAssembly path (KEYHOLD_NATIVE=0 turns the native addon off)',
    nb: 'kryptografi: WebAssembly-veien (KEYHOLD_NATIVE=0 slår av det native tillegget)',
  },
  cryptoAddonUnusable: (reason: Wording): Wording => ({
    en: `crypto: WebAssembly path (the native addon cannot be used: ${reason.en})`,
    nb: `kryptografi: WebAssembly-veien (det native tillegget kan ikke brukes: ${reason.nb})`,
  }),
  cryptoAddonUnloadable: (reason: Wording): Wording => ({
    en: `crypto: WebAssembly path (the native addon cannot be loaded: ${reason.en})`,
    nb: `kryptografi: WebAssembly-veien (det native tillegget kan ikke lastes: ${reason.nb})`,
  }),
  cryptoNative: (path: string, stretch: Wording): Wording => ({
    en: `crypto: native addon (${path}), ${stretch.en}`,
    nb: `kryptografi: native tillegg (${path}), ${stretch.nb}`,
  }),

  // reading the image
  readingFailed: (path: string, code: string): Wording => ({
    en: `${path}: reading failed (${code}).`,
    nb: `${path}: lesing mislyktes (${code}).`,
  }),
} satisfies Record<string, Wording | ((...args: never[]) => Wording)>;
