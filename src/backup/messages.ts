import type { Wording } from '../text/wording.js';

/**
 * Why a backup destination (a file, a USB drive, a printer, the drive list) could not take a
 * key, in English and Bokmål (`BackupError.wording`). None of them ever holds a recovery
 * password. Paths, printer names and commands stay as they are in both languages.
 */
export const backupErrorMessages = {
  // drives.ts
  driveListUnreadable: (tool: string, detail: Wording): Wording => ({
    en: `Could not read the drive list from ${tool}: ${detail.en}. Name the drive's mount point instead.`,
    nb: `Kunne ikke lese listen over stasjoner fra ${tool}: ${detail.nb}. Oppgi heller monteringspunktet til stasjonen.`,
  }),
  outputNotJson: { en: 'its output is not JSON', nb: 'utdataene er ikke JSON' } satisfies Wording,
  noBlockDevices: {
    en: 'there is no "blockdevices" list',
    nb: 'det finnes ingen «blockdevices»-liste',
  } satisfies Wording,
  plistMalformed: {
    en: 'its property list is not well formed',
    nb: 'egenskapslisten er ikke velformet',
  } satisfies Wording,
  plistNotDictionary: {
    en: 'the property list is not a dictionary',
    nb: 'egenskapslisten er ikke en ordbok',
  } satisfies Wording,
  noDiskList: {
    en: 'there is no AllDisksAndPartitions list',
    nb: 'det finnes ingen AllDisksAndPartitions-liste',
  } satisfies Wording,
  noDeviceNode: {
    en: 'a volume has no DeviceNode',
    nb: 'et volum mangler DeviceNode',
  } satisfies Wording,
  commandNotFound: (command: string): Wording => ({
    en: `${command} was not found`,
    nb: `${command} ble ikke funnet`,
  }),
  commandTimedOut: (command: string, seconds: number): Wording => ({
    en: `${command} did not answer within ${seconds} seconds`,
    nb: `${command} svarte ikke innen ${seconds} sekunder`,
  }),
  commandFailed: (command: string, said: string): Wording => ({
    en: `${command} failed: ${said}`,
    nb: `${command} mislyktes: ${said}`,
  }),
  drivesNotListed: (reason: Wording): Wording => ({
    en: `Could not list removable drives (${reason.en}). Name the drive's mount point instead.`,
    nb: `Kunne ikke vise flyttbare stasjoner (${reason.nb}). Oppgi heller monteringspunktet til stasjonen.`,
  }),
  listingUnsupported: (platform: string): Wording => ({
    en: `Listing removable drives is not supported on ${platform}. Name the drive's mount point instead.`,
    nb: `Flyttbare stasjoner kan ikke vises på ${platform}. Oppgi heller monteringspunktet til stasjonen.`,
  }),

  // file-destination.ts
  driveFull: { en: 'the drive is full', nb: 'stasjonen er full' } satisfies Wording,
  driveReadOnly: {
    en: 'the drive is read-only',
    nb: 'stasjonen er skrivebeskyttet',
  } satisfies Wording,
  permissionDenied: { en: 'permission denied', nb: 'ingen tilgang' } satisfies Wording,
  inputOutputError: {
    en: 'the drive reported an input/output error',
    nb: 'stasjonen meldte en inn/ut-feil',
  } satisfies Wording,
  folderHasName: {
    en: 'a folder has that name',
    nb: 'en mappe har det navnet',
  } satisfies Wording,
  nameTooLong: {
    en: 'the name is too long for this drive',
    nb: 'navnet er for langt for denne stasjonen',
  } satisfies Wording,
  couldNotWrite: (path: string, reason: Wording): Wording => ({
    en: `Could not write ${path}: ${reason.en}.`,
    nb: `Kunne ikke skrive ${path}: ${reason.nb}.`,
  }),
  notARecoveryKeyFileToSave: (problem: Wording): Wording => ({
    en: `The file to save is not a recovery key file: ${problem.en}`,
    nb: `Filen som skal lagres, er ikke en gjenopprettingsnøkkelfil: ${problem.nb}`,
  }),
  severalKeysToSave: (count: number): Wording => ({
    en: `The file to save holds ${count} recovery keys; a recovery key file holds one.`,
    nb: `Filen som skal lagres, inneholder ${count} gjenopprettingsnøkler; en gjenopprettingsnøkkelfil inneholder én.`,
  }),
  notAPlainFileName: (fileName: string): Wording => ({
    en: `"${fileName}" is not a plain file name.`,
    nb: `«${fileName}» er ikke et vanlig filnavn.`,
  }),
  neitherFolderNorFile: (path: string): Wording => ({
    en: `${path} is neither a folder nor a file.`,
    nb: `${path} er verken en mappe eller en fil.`,
  }),
  noSuchFolder: (folder: string): Wording => ({
    en: `The folder ${folder} does not exist. Create it first or choose another folder.`,
    nb: `Mappen ${folder} finnes ikke. Opprett den først, eller velg en annen mappe.`,
  }),
  existsNotRecoveryFile: (path: string): Wording => ({
    en: `${path} already exists and is not a recovery key file. Nothing was overwritten; choose another file name.`,
    nb: `${path} finnes allerede og er ikke en gjenopprettingsnøkkelfil. Ingenting ble overskrevet; velg et annet filnavn.`,
  }),
  onProtectedDrive: (folder: string, volume: string): Wording => ({
    en: `${folder} is on the drive this key unlocks (${volume}). A key kept on its own drive is locked away with it: choose another drive.`,
    nb: `${folder} ligger på stasjonen denne nøkkelen låser opp (${volume}). En nøkkel som ligger på sin egen stasjon, er låst inne sammen med den: velg en annen stasjon.`,
  }),
  changedWhileWriting: (path: string): Wording => ({
    en: `${path} changed while it was being written. Try again.`,
    nb: `${path} ble endret mens den ble skrevet. Prøv igjen.`,
  }),

  // errors.ts (DifferentKeyFileError)
  holdsOtherPassword: (protectorId: string): Wording => ({
    en: `a different recovery password for the same Key ID ${protectorId}, so one of them is wrong or outdated`,
    nb: `en annen gjenopprettingsnøkkel for den samme nøkkel-ID-en ${protectorId}, så en av dem er feil eller utdatert`,
  }),
  holdsOtherKey: (existing: string, protectorId: string): Wording => ({
    en: `the recovery key for Key ID ${existing}, not ${protectorId}`,
    nb: `gjenopprettingsnøkkelen for nøkkel-ID ${existing}, ikke ${protectorId}`,
  }),
  alreadyHoldsAnother: (path: string, holds: Wording): Wording => ({
    en: `${path} already holds ${holds.en}. Nothing was overwritten; choose another file name or folder.`,
    nb: `${path} inneholder allerede ${holds.nb}. Ingenting ble overskrevet; velg et annet filnavn eller en annen mappe.`,
  }),

  // usb-destination.ts
  noDriveMounted: (mountPoint: string): Wording => ({
    en: `No drive is mounted at ${mountPoint}. Plug the drive in (and mount it), or check the path.`,
    nb: `Ingen stasjon er montert på ${mountPoint}. Sett inn stasjonen (og monter den), eller kontroller stien.`,
  }),
  usbIsProtectedDrive: (mountPoint: string): Wording => ({
    en: `The drive at ${mountPoint} is the drive this key unlocks. A key kept on its own drive is locked away with it: use another USB drive.`,
    nb: `Stasjonen på ${mountPoint} er stasjonen denne nøkkelen låser opp. En nøkkel som ligger på sin egen stasjon, er låst inne sammen med den: bruk en annen USB-stasjon.`,
  }),
  notReadBack: (path: string, reason: string): Wording => ({
    en: `Could not read ${path} back from the drive: ${reason}. The drive may have been unplugged or be failing.`,
    nb: `Kunne ikke lese ${path} tilbake fra stasjonen: ${reason}. Stasjonen kan ha blitt koblet fra, eller den kan være i ferd med å svikte.`,
  }),
  readsBackDifferently: (path: string): Wording => ({
    en: `${path} does not read back as written. The drive may be failing: use another drive.`,
    nb: `${path} leses ikke tilbake slik den ble skrevet. Stasjonen kan være i ferd med å svikte: bruk en annen stasjon.`,
  }),

  // printer.ts
  notAPrinterName: (shown: string): Wording => ({
    en: `${shown} is not a printer name. Printer names have no spaces, slashes or '#'; \`lpstat -p\` lists the printers.`,
    nb: `${shown} er ikke et skrivernavn. Skrivernavn har ingen mellomrom, skråstreker eller «#»; \`lpstat -p\` viser skriverne.`,
  }),
  lpMissing: {
    en: 'The lp command (CUPS) is not installed here, so the sheet cannot be sent to a printer. Install CUPS, or save the sheet as a PDF and print it from another program.',
    nb: 'Kommandoen lp (CUPS) er ikke installert her, så arket kan ikke sendes til en skriver. Installer CUPS, eller lagre arket som PDF og skriv det ut fra et annet program.',
  } satisfies Wording,
  lpNotRun: (reason: string): Wording => ({
    en: `Could not run lp: ${reason}.`,
    nb: `Kunne ikke kjøre lp: ${reason}.`,
  }),
  lpTimedOut: (seconds: number): Wording => ({
    en: `lp did not finish within ${seconds} seconds`,
    nb: `lp ble ikke ferdig innen ${seconds} sekunder`,
  }),
  lpExited: (status: string): Wording => ({
    en: `lp exited with status ${status}`,
    nb: `lp avsluttet med status ${status}`,
  }),
  printerRefused: (printer: string, reason: Wording): Wording => ({
    en: `The printer ${printer} did not take the sheet (${reason.en}). Check the name with \`lpstat -p\`, or save the sheet as a PDF instead.`,
    nb: `Skriveren ${printer} tok ikke imot arket (${reason.nb}). Kontroller navnet med \`lpstat -p\`, eller lagre arket som PDF i stedet.`,
  }),

  // recovery-sheet.ts
  notALuksPassphrase: {
    en: 'This is not a LUKS recovery passphrase (8 groups of 5 digits).',
    nb: 'Dette er ikke en LUKS-gjenopprettingsfrase (8 grupper med 5 sifre).',
  } satisfies Wording,
  notADate: (shown: string): Wording => ({
    en: `${shown} is not a date.`,
    nb: `${shown} er ikke en dato.`,
  }),
};

/** A text a tool or the system gave (an error message, a line of stderr), the same in both. */
export function asGiven(text: string): Wording {
  return { en: text, nb: text };
}
