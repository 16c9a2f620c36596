import type { Wording } from '../../text/wording.js';

/**
 * Everything `keyhold key` and `keyhold read` tell a person, in English and Bokmål (printed with
 * `say`). Flags, paths and Key IDs stay as they are in both languages.
 */
export const keyMessages = {
  // key check
  validLabel: { en: 'valid', nb: 'gyldig' },
  invalidLabel: { en: 'invalid:', nb: 'ugyldig:' },

  // key file
  folderMissing: (folder: string): Wording => ({
    en: `The folder ${folder} does not exist. Create it first or pick another --out.`,
    nb: `Mappen ${folder} finnes ikke. Opprett den først, eller velg en annen --out.`,
  }),
  holdsOtherPassword: {
    en: 'a different recovery password for the same ID',
    nb: 'en annen gjenopprettingsnøkkel for samme ID',
  },
  holdsOtherProtector: (ids: string): Wording => ({
    en: `the recovery key for another protector (${ids})`,
    nb: `gjenopprettingsnøkkelen til en annen beskytter (${ids})`,
  }),
  holdsNoKeyFile: {
    en: 'something that is not a recovery key file',
    nb: 'noe som ikke er en gjenopprettingsnøkkelfil',
  },
  badLanguage: (choices: string, given: string): Wording => ({
    en: `--lang must be one of ${choices}; got "${given}".`,
    nb: `--lang må være en av ${choices}; fikk "${given}".`,
  }),
  badPassword: (reason: Wording): Wording => ({
    en: `--password is not a valid recovery password. ${reason.en}`,
    nb: `--password er ikke en gyldig gjenopprettingsnøkkel. ${reason.nb}`,
  }),
  targetExists: (path: string, difference: Wording): Wording => ({
    en: `${path} already exists and holds ${difference.en}. Choose another --out, or add --force to replace it.`,
    nb: `${path} finnes allerede og inneholder ${difference.nb}. Velg en annen --out, eller legg til --force for å erstatte den.`,
  }),
  appearedWhileWriting: (path: string): Wording => ({
    en: `${path} appeared while writing; nothing was replaced. Run the command again.`,
    nb: `${path} dukket opp under skrivingen; ingenting ble erstattet. Kjør kommandoen på nytt.`,
  }),
  couldNotWrite: (path: string, reason: string): Wording => ({
    en: `Could not write ${path}: ${reason}`,
    nb: `Kunne ikke skrive ${path}: ${reason}`,
  }),
  wrote: (path: string): Wording => ({ en: `Wrote ${path}`, nb: `Skrev ${path}` }),
  alreadyHolds: (path: string): Wording => ({
    en: `${path} already holds this key; left it as it is.`,
    nb: `${path} inneholder allerede denne nøkkelen; lot den være som den er.`,
  }),

  // read
  pipeHint: {
    en: ' (to read a pipe, give "-" and send it to standard input)',
    nb: ' (for å lese et rør, oppgi "-" og send det til standard inn)',
  },
  protectorCount: (count: number): Wording => ({
    en: `${count} key protector${count === 1 ? '' : 's'}`,
    nb: `${count} ${count === 1 ? 'nøkkelbeskytter' : 'nøkkelbeskyttere'}`,
  }),
  volume: (volume: string): Wording => ({ en: `volume ${volume}`, nb: `volum ${volume}` }),
  holdsNoProtectors: (path: string): Wording => ({
    en: `${path}: holds no key protectors`,
    nb: `${path}: inneholder ingen nøkkelbeskyttere`,
  }),
} satisfies Record<string, Wording | ((...args: never[]) => Wording)>;
