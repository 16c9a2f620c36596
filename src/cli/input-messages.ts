import type { Wording } from '../text/wording.js';

/**
 * What the CLI says about the files, standard input and standard output a person gives it, in
 * English and Bokmål (printed with `say`). Flags and paths stay as they are in both languages.
 */
export const inputMessages = {
  // Why a named file is not read
  kindFolder: { en: 'a folder', nb: 'en mappe' },
  kindFifo: { en: 'a named pipe (FIFO)', nb: 'et navngitt rør (FIFO)' },
  kindCharacterDevice: { en: 'a character device', nb: 'en tegnenhet' },
  kindSocket: { en: 'a socket', nb: 'en socket' },
  kindOther: { en: 'not a regular file', nb: 'ikke en vanlig fil' },
  refused: (subject: string, kind: Wording, blockDevices: boolean, hint: Wording): Wording => ({
    en: `${subject} is ${kind.en}; Keyhold reads only ${blockDevices ? 'a regular file or a block device' : 'a regular file'}${hint.en}.`,
    nb: `${subject} er ${kind.nb}; Keyhold leser bare ${blockDevices ? 'en vanlig fil eller en blokkenhet' : 'en vanlig fil'}${hint.nb}.`,
  }),
  noSuchFile: (blockDevices: boolean): Wording => ({
    en: blockDevices ? 'no such file or device' : 'no such file',
    nb: blockDevices ? 'filen eller enheten finnes ikke' : 'filen finnes ikke',
  }),
  permissionDenied: { en: 'permission denied', nb: 'ingen tilgang' },
  tooManyLinks: { en: 'too many symbolic links', nb: 'for mange symbolske lenker' },
  nameTooLong: { en: 'the name is too long', nb: 'navnet er for langt' },
  deviceNeedsRoot: {
    en: '. Reading a device usually needs root (try sudo), or read an image of it',
    nb: '. Å lese en enhet krever vanligvis root (prøv sudo), eller les et bilde av den',
  },
  cannotOpen: (subject: string, reason: Wording, hint: Wording): Wording => ({
    en: `${subject}: cannot open: ${reason.en}${hint.en}.`,
    nb: `${subject}: kan ikke åpnes: ${reason.nb}${hint.nb}.`,
  }),
  cannotRead: (name: string, reason: string): Wording => ({
    en: `${name}: cannot read: ${reason}.`,
    nb: `${name}: kan ikke leses: ${reason}.`,
  }),

  // "-" arguments
  stdinTooLarge: (limit: 'secret' | 'file'): Wording =>
    limit === 'secret'
      ? {
          en: 'Standard input holds more than 64 KiB, far more than a key or password. Pipe in only the secret.',
          nb: 'Standard inn inneholder mer enn 64 KiB, langt mer enn en nøkkel eller et passord. Send bare hemmeligheten inn.',
        }
      : {
          en: 'Standard input holds more than 16 MiB, far more than any key file or tool output. Pipe in only the key file or tool output.',
          nb: 'Standard inn inneholder mer enn 16 MiB, langt mer enn noen nøkkelfil eller verktøyutdata. Send bare nøkkelfilen eller verktøyutdataene inn.',
        },

  // main
  stdoutFailed: (reason: string): Wording => ({
    en: `Writing standard output failed (${reason}).`,
    nb: `Skriving til standard ut mislyktes (${reason}).`,
  }),
} satisfies Record<string, Wording | ((...args: never[]) => Wording)>;
