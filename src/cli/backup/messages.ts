import type { Wording } from '../../text/wording.js';

/**
 * Everything `keyhold backup` and `keyhold find` tell a person, in English and Bokmål (printed
 * with `say`). Flags, paths, file names and Key IDs stay as they are in both languages.
 */
export const backupMessages = {
  // --image: proving the key against the drive before anything is saved
  checkingAgainstImage: (image: string): Wording => ({
    en: `Checking the key against ${image}`,
    nb: `Prøver nøkkelen mot ${image}`,
  }),
  imageNotOpened: (image: string, reason: Wording): Wording => ({
    en: `--image ${image}: ${reason.en} Nothing was saved.`,
    nb: `--image ${image}: ${reason.nb} Ingenting ble lagret.`,
  }),
  imageOtherProtector: (image: string, opened: string, claimed: string): Wording => ({
    en: `--image ${image}: the recovery password opens protector ${opened}, not ${claimed}; the Key ID and password do not belong together. Nothing was saved.`,
    nb: `--image ${image}: gjenopprettingsnøkkelen låser opp beskytter ${opened}, ikke ${claimed}; nøkkel-ID-en og nøkkelen hører ikke sammen. Ingenting ble lagret.`,
  }),

  // the key to back up
  fromPipeHint: {
    en: ' (to read a pipe, give --from - and send it to standard input)',
    nb: ' (for å lese et rør, oppgi --from - og send det til standard inn)',
  },
  noRecoveryPassword: (path: string, kinds: string): Wording => ({
    en: `--from ${path}: holds no recovery password (only ${kinds} protectors). A .BEK startup key cannot be backed up as a recovery key; use the recovery key file or manage-bde -protectors -get output.`,
    nb: `--from ${path}: inneholder ingen gjenopprettingsnøkkel (bare ${kinds}-beskyttere). En .BEK-oppstartsnøkkel kan ikke sikkerhetskopieres som en gjenopprettingsnøkkel; bruk gjenopprettingsnøkkelfilen eller utdata fra manage-bde -protectors -get.`,
  }),
  badPassword: (reason: Wording): Wording => ({
    en: `--password: ${reason.en} Check the digits against the key and try again.`,
    nb: `--password: ${reason.nb} Sammenlign sifrene med nøkkelen og prøv igjen.`,
  }),
  volume: (volume: string): Wording => ({ en: `volume ${volume}`, nb: `volum ${volume}` }),
  volumeInParentheses: (volume: string): Wording => ({
    en: ` (volume ${volume})`,
    nb: ` (volum ${volume})`,
  }),

  // the flags
  badDestination: (unknown: string, choices: string): Wording => ({
    en: `--to: "${unknown}" is not a destination; choose from ${choices}.`,
    nb: `--to: "${unknown}" er ikke et mål; velg blant ${choices}.`,
  }),
  noDestination: (choices: string): Wording => ({
    en: `--to: no destination given; choose from ${choices}.`,
    nb: `--to: ingen mål oppgitt; velg blant ${choices}.`,
  }),
  badLanguage: (choices: string, given: string): Wording => ({
    en: `--lang must be one of ${choices}; got "${given}".`,
    nb: `--lang må være en av ${choices}; fikk "${given}".`,
  }),
  badPaper: (given: string): Wording => ({
    en: `--paper must be a4 or letter; got "${given}".`,
    nb: `--paper må være a4 eller letter; fikk "${given}".`,
  }),
  flagWithoutDestination: (flag: string, destination: string): Wording => ({
    en: `--${flag} is given but --to does not include ${destination}.`,
    nb: `--${flag} er oppgitt, men --to tar ikke med ${destination}.`,
  }),
  printerAndPdf: {
    en: 'Give either --printer (print now) or --pdf (save the sheet), not both.',
    nb: 'Oppgi enten --printer (skriv ut nå) eller --pdf (lagre arket), ikke begge.',
  },
  fromAndPassword: {
    en: 'Give either --from or --password, not both.',
    nb: 'Oppgi enten --from eller --password, ikke begge.',
  },
  passwordNeedsId: {
    en: '--password needs --id (the key protector ID it belongs to), or --image to take the ID from the volume the key opens.',
    nb: '--password trenger --id (ID-en til nøkkelbeskytteren den hører til), eller --image for å hente ID-en fra volumet nøkkelen låser opp.',
  },
  noKeyMatches: (filters: string[], listed: string): Wording => ({
    en: `No recovery key matches ${filters.join(' and ')}. The keys found:\n${listed}`,
    nb: `Ingen gjenopprettingsnøkkel passer med ${filters.join(' og ')}. Nøklene som ble funnet:\n${listed}`,
  }),
  tooManyKeys: (count: number, listed: string): Wording => ({
    en: `There are ${count} recovery keys; choose one with --id <first 8 characters> or --volume:\n${listed}`,
    nb: `Det finnes ${count} gjenopprettingsnøkler; velg én med --id <de 8 første tegnene> eller --volume:\n${listed}`,
  }),
  noKeyOnThisComputer: {
    en: 'No BitLocker recovery key was found on this computer. Give a saved key with --from, or --id and --password.',
    nb: 'Fant ingen BitLocker-gjenopprettingsnøkkel på denne datamaskinen. Oppgi en lagret nøkkel med --from, eller --id og --password.',
  },
  whichKey: {
    en: 'Which key? Give --from <file> (a recovery key file, .TXT, manage-bde or PowerShell output) or --id and --password.',
    nb: 'Hvilken nøkkel? Oppgi --from <fil> (en gjenopprettingsnøkkelfil, .TXT, utdata fra manage-bde eller PowerShell) eller --id og --password.',
  },
  fileNeedsPath: {
    en: '--to file needs --file <path|folder>: where to write the recovery key file.',
    nb: '--to file trenger --file <sti|mappe>: hvor gjenopprettingsnøkkelfilen skal skrives.',
  },
  printNeedsPrinter: {
    en: '--to print needs --printer <name> (print with CUPS now) or --pdf <file.pdf> (save the sheet to print later).',
    nb: '--to print trenger --printer <navn> (skriv ut med CUPS nå) eller --pdf <fil.pdf> (lagre arket for å skrive det ut senere).',
  },
  whereTo: {
    en: 'Where to? Give --to with any of account,usb,file,print (run in a terminal without --yes to be asked).',
    nb: 'Hvor? Oppgi --to med en eller flere av account,usb,file,print (kjør i en terminal uten --yes for å bli spurt).',
  },

  // running the backup
  backingUp: (key: string): Wording => ({
    en: `Backing up the recovery key ${key}:`,
    nb: `Sikkerhetskopierer gjenopprettingsnøkkelen ${key}:`,
  }),
  failedMark: { en: 'FAILED', nb: 'MISLYKTES' },
  partlyFailed: (failed: string, succeeded: string): Wording => ({
    en: `The backup to ${failed} failed; it succeeded to ${succeeded}. Fix the problem above and run backup again for ${failed}.`,
    nb: `Sikkerhetskopieringen til ${failed} mislyktes; til ${succeeded} gikk den bra. Rett opp problemet over og kjør backup på nytt for ${failed}.`,
  }),
  allFailed: (failed: string): Wording => ({
    en: `The backup failed (${failed}): the key is not saved anywhere new. Fix the problem above and try again.`,
    nb: `Sikkerhetskopieringen mislyktes (${failed}): nøkkelen er ikke lagret noe nytt sted. Rett opp problemet over og prøv igjen.`,
  }),
  inLibraryOf: (organisation: string, server: string, email: string): Wording => ({
    en: `${organisation}'s library on ${server} (as ${email})`,
    nb: `biblioteket til ${organisation} på ${server} (som ${email})`,
  }),
  inAccount: (email: string, server: string): Wording => ({
    en: `${email} on ${server}`,
    nb: `${email} på ${server}`,
  }),
  savedIn: (where: Wording): Wording => ({
    en: `saved in ${where.en}`,
    nb: `lagret i ${where.nb}`,
  }),
  alreadyInUpdated: (where: Wording, changed: string): Wording => ({
    en: `already in ${where.en}; updated its ${changed}`,
    nb: `finnes allerede i ${where.nb}; oppdaterte ${changed}`,
  }),
  alreadyInKept: (where: Wording): Wording => ({
    en: `already in ${where.en}; its stored details were kept`,
    nb: `finnes allerede i ${where.nb}; de lagrede opplysningene ble beholdt`,
  }),
  usbWritten: (path: string, reminder: string): Wording => ({
    en: `wrote ${path}, flushed it and read it back. ${reminder}`,
    nb: `skrev ${path}, tømte skrivebufferen og leste den tilbake. ${reminder}`,
  }),
  usbAlreadyHolds: (path: string, reminder: string): Wording => ({
    en: `${path} already holds this key (read back and checked). ${reminder}`,
    nb: `${path} inneholder allerede denne nøkkelen (lest tilbake og kontrollert). ${reminder}`,
  }),
  fileWritten: (path: string): Wording => ({
    en: `wrote ${path}. Keep it away from this computer's drive, e.g. in your Keyhold vault.`,
    nb: `skrev ${path}. Oppbevar den et annet sted enn på denne datamaskinens stasjon, f.eks. i Keyhold-hvelvet ditt.`,
  }),
  fileAlreadyHolds: (path: string): Wording => ({
    en: `${path} already holds this key; left as it was.`,
    nb: `${path} inneholder allerede denne nøkkelen; lot den være som den var.`,
  }),
  printed: (printer: string, jobId: string | undefined): Wording => ({
    en: `sent the sheet to printer ${printer}${jobId ? ` (job ${jobId})` : ''}. Keep the paper somewhere safe, away from the computer.`,
    nb: `sendte arket til skriveren ${printer}${jobId ? ` (jobb ${jobId})` : ''}. Oppbevar papiret et trygt sted, unna datamaskinen.`,
  }),
  pdfSaved: (path: string): Wording => ({
    en: `saved the printable sheet as ${path}. It counts as a file backup until it is printed: print it, keep the paper away from the computer, delete the PDF and record the paper copy in the web app.`,
    nb: `lagret arket for utskrift som ${path}. Det teller som en sikkerhetskopi i fil til det er skrevet ut: skriv det ut, oppbevar papiret unna datamaskinen, slett PDF-en og registrer papirkopien i nettappen.`,
  }),
  pdfFolderMissing: (folder: string): Wording => ({
    en: `The folder ${folder} does not exist. Create it first or choose another --pdf.`,
    nb: `Mappen ${folder} finnes ikke. Opprett den først, eller velg en annen --pdf.`,
  }),
  pdfExists: (path: string): Wording => ({
    en: `${path} already exists. Nothing was overwritten; choose another --pdf name.`,
    nb: `${path} finnes allerede. Ingenting ble overskrevet; velg et annet navn for --pdf.`,
  }),
  pdfNotWritten: (path: string, reason: string): Wording => ({
    en: `Could not write ${path}: ${reason}.`,
    nb: `Kunne ikke skrive ${path}: ${reason}.`,
  }),

  // recording offline copies in the account
  notRecordedIn: (name: string, reason: string): Wording => ({
    en: `not recorded in ${name}: ${reason}`,
    nb: `ikke registrert i ${name}: ${reason}`,
  }),
  accountLacksKey: (name: string): Wording => ({
    en: `not recorded in ${name}: that account does not hold this key (add --to account).`,
    nb: `ikke registrert i ${name}: den kontoen har ikke denne nøkkelen (legg til --to account).`,
  }),
  oneNotRecorded: (destination: string, name: string, reason: string): Wording => ({
    en: `${destination} backup not recorded in ${name}: ${reason}`,
    nb: `sikkerhetskopien til ${destination} ble ikke registrert i ${name}: ${reason}`,
  }),
  recorded: (destinations: string, name: string): Wording => ({
    en: `recorded the ${destinations} backup in ${name}`,
    nb: `registrerte sikkerhetskopien til ${destinations} i ${name}`,
  }),

  // USB drives and places
  notMounted: { en: '(not mounted)', nb: '(ikke montert)' },
  usbNoSuchFolder: (mountPoint: string): Wording => ({
    en: `--usb ${mountPoint}: no such folder. Give the folder where the USB drive is mounted (see lsblk, or /media/<you>/<label>).`,
    nb: `--usb ${mountPoint}: mappen finnes ikke. Oppgi mappen der USB-minnet er montert (se lsblk, eller /media/<deg>/<etikett>).`,
  }),
  noUsbDrive: {
    en: 'No mounted USB drive was found. Plug one in (open it once so it is mounted), or name its folder with --usb <mount point>.',
    nb: 'Fant ikke noe montert USB-minne. Sett inn et (åpne det én gang så det blir montert), eller oppgi mappen med --usb <monteringspunkt>.',
  },
  severalUsbDrives: (count: number, listed: string): Wording => ({
    en: `There are ${count} USB drives; choose one:\n${listed}`,
    nb: `Det er ${count} USB-minner; velg ett:\n${listed}`,
  }),
  placeFolder: (path: string): Wording => ({ en: `folder ${path}`, nb: `mappen ${path}` }),
  placeDrive: (path: string, label: string | null | undefined): Wording => ({
    en: label ? `USB drive ${label} (${path})` : `USB drive ${path}`,
    nb: label ? `USB-minnet ${label} (${path})` : `USB-minnet ${path}`,
  }),

  // find
  keyIdTooShortToSearch: (input: string, minimum: number): Wording => ({
    en: `"${input}" is too short to search for: give at least ${minimum} characters of the Key ID (the recovery screen shows 8).`,
    nb: `"${input}" er for kort til å søke etter: oppgi minst ${minimum} tegn av nøkkel-ID-en (gjenopprettingsskjermen viser 8).`,
  }),
  badDepth: (given: string): Wording => ({
    en: `--depth must be a whole number from 0 to 32; got "${given}".`,
    nb: `--depth må være et helt tall fra 0 til 32; fikk "${given}".`,
  }),
  searching: (place: Wording): Wording => ({
    en: `Searching ${place.en}`,
    nb: `Søker i ${place.nb}`,
  }),
  searchingSeen: (place: Wording, seen: number): Wording => ({
    en: `Searching ${place.en}: ${seen} files and folders`,
    nb: `Søker i ${place.nb}: ${seen} filer og mapper`,
  }),
  notSearched: (place: Wording, reason: Wording): Wording => ({
    en: `${place.en} could not be searched: ${reason.en}.`,
    nb: `${place.nb} kunne ikke gjennomsøkes: ${reason.nb}.`,
  }),
  noSuchFolder: { en: 'no such folder', nb: 'mappen finnes ikke' },
  notAFolder: { en: 'not a folder', nb: 'ikke en mappe' },
  permissionDenied: { en: 'permission denied', nb: 'ingen tilgang' },
  searchStopped: (place: Wording, maxEntries: number): Wording => ({
    en: `${place.en}: stopped after ${maxEntries} files and folders; search a smaller folder with --in.`,
    nb: `${place.nb}: stoppet etter ${maxEntries} filer og mapper; søk i en mindre mappe med --in.`,
  }),
  revealNeedsYes: {
    en: 'Keys held by a server are shown only after asking; add --yes to show them without asking (each reveal is recorded in the account).',
    nb: 'Nøkler som en server har, vises bare etter at du er spurt; legg til --yes for å vise dem uten å bli spurt (hver visning registreres i kontoen).',
  },
  confirmReveal: (protectorId: string, place: string): Wording => ({
    en: `Show the recovery key ${protectorId} held by ${place}? This is recorded in the account's activity.`,
    nb: `Vise gjenopprettingsnøkkelen ${protectorId} som ${place} har? Dette registreres i kontoens aktivitet.`,
  }),
  matchCount: (count: number): Wording => ({
    en: `${count} match${count === 1 ? '' : 'es'}`,
    nb: `${count} treff`,
  }),
  forKeyId: (prefix: string): Wording => ({
    en: ` for Key ID ${prefix}:`,
    nb: ` for nøkkel-ID ${prefix}:`,
  }),
  recoveryKey: (password: string): Wording => ({
    en: `recovery key: ${password}`,
    nb: `gjenopprettingsnøkkel: ${password}`,
  }),
  nowhereCouldBeSearched: {
    en: 'nowhere (no place could be searched)',
    nb: 'ingen steder (ingen steder kunne gjennomsøkes)',
  },
  nowhereToSearch: {
    en: 'nowhere (nothing to search)',
    nb: 'ingen steder (ingenting å søke i)',
  },
  notFound: (prefix: string, searched: string): Wording => ({
    en:
      `No key with an ID starting ${prefix} was found. Searched: ${searched}.\n` +
      'Also look on paper printouts, other USB drives, other Keyhold accounts (keyhold login), ' +
      "and ask your organisation's IT if the computer is managed.",
    nb:
      `Fant ingen nøkkel med en ID som begynner med ${prefix}. Søkte i: ${searched}.\n` +
      'Se også etter utskrifter på papir, andre minnepinner, andre Keyhold-kontoer (keyhold login), ' +
      'og spør IT i organisasjonen din hvis datamaskinen administreres av den.',
  }),

  // the interactive backup (keyhold backup in a terminal without --yes)
  wizardTitle: {
    en: 'Back up your BitLocker recovery key',
    nb: 'Sikkerhetskopier BitLocker-gjenopprettingsnøkkelen din',
  },
  wizardNothingBackedUp: { en: 'Nothing was backed up.', nb: 'Ingenting ble sikkerhetskopiert.' },
  wizardCancelled: { en: 'Cancelled.', nb: 'Avbrutt.' },
  wizardWhereIsKey: {
    en: 'Where is the key? (a recovery key .TXT, manage-bde or PowerShell output)',
    nb: 'Hvor er nøkkelen? (en gjenopprettingsnøkkel-.TXT, utdata fra manage-bde eller PowerShell)',
  },
  wizardTypePath: { en: 'Type the path of the file.', nb: 'Skriv inn stien til filen.' },
  wizardKeyId: {
    en: 'Key ID (the identifier shown with the recovery key)',
    nb: 'Nøkkel-ID (ID-en som vises sammen med gjenopprettingsnøkkelen)',
  },
  wizardRecoveryKey: {
    en: 'Recovery key (48 digits; dashes or spaces are fine)',
    nb: 'Gjenopprettingsnøkkel (48 sifre; bindestreker eller mellomrom går fint)',
  },
  wizardReadingKeys: { en: 'Reading the keys', nb: 'Leser nøklene' },
  wizardNoKeyHere: {
    en: 'No recovery key was found on this computer.',
    nb: 'Fant ingen gjenopprettingsnøkkel på denne datamaskinen.',
  },
  wizardWhichKey: {
    en: 'Which key do you want to back up?',
    nb: 'Hvilken nøkkel vil du sikkerhetskopiere?',
  },
  wizardFromFile: { en: 'From a file', nb: 'Fra en fil' },
  wizardFromFileHint: {
    en: 'recovery key .TXT, manage-bde or PowerShell output',
    nb: 'gjenopprettingsnøkkel-.TXT, utdata fra manage-bde eller PowerShell',
  },
  wizardTypeIt: { en: 'Type it in', nb: 'Skriv den inn' },
  wizardTypeItHint: { en: 'Key ID and the 48 digits', nb: 'nøkkel-ID og de 48 sifrene' },
  wizardWhere: {
    en: 'Where do you want to back it up? (space to choose, enter to go on)',
    nb: 'Hvor vil du sikkerhetskopiere den? (mellomrom for å velge, Enter for å gå videre)',
  },
  wizardAccount: { en: 'Your Keyhold account', nb: 'Keyhold-kontoen din' },
  wizardLogInFirst: {
    en: 'log in first: keyhold login <server>',
    nb: 'logg på først: keyhold login <server>',
  },
  wizardUsb: { en: 'A USB drive', nb: 'Et USB-minne' },
  wizardUsbHint: { en: 'keep it away from the computer', nb: 'oppbevar det unna datamaskinen' },
  wizardFile: { en: 'A file', nb: 'En fil' },
  wizardFileHint: {
    en: 'never on the drive this key unlocks',
    nb: 'aldri på stasjonen denne nøkkelen låser opp',
  },
  wizardPrint: { en: 'Print the recovery key', nb: 'Skriv ut gjenopprettingsnøkkelen' },
  wizardPrintHint: { en: 'or save the sheet as PDF', nb: 'eller lagre arket som PDF' },
  wizardWhichAccount: { en: 'Which account?', nb: 'Hvilken konto?' },
  wizardLookingForUsb: { en: 'Looking for USB drives', nb: 'Ser etter USB-minner' },
  wizardWhichUsb: { en: 'Which USB drive?', nb: 'Hvilket USB-minne?' },
  wizardNoUsb: {
    en: 'No USB drive found. Plug one in, or type its folder:',
    nb: 'Fant ikke noe USB-minne. Sett inn et, eller skriv inn mappen det er montert i:',
  },
  wizardTypeMountFolder: {
    en: 'Type the folder where it is mounted',
    nb: 'Skriv inn mappen det er montert i',
  },
  wizardUsbFolder: { en: 'Folder of the USB drive', nb: 'Mappen til USB-minnet' },
  wizardUsbFolderNeeded: {
    en: 'Type the folder where the drive is mounted.',
    nb: 'Skriv inn mappen der minnet er montert.',
  },
  wizardFileFolder: {
    en: 'Folder or file to save the recovery key file in (not on the drive it unlocks)',
    nb: 'Mappe eller fil å lagre gjenopprettingsnøkkelfilen i (ikke på stasjonen den låser opp)',
  },
  wizardFileName: (protectorId: string): Wording => ({
    en: `The file will be named "BitLocker Recovery Key ${protectorId}.TXT" in a folder.`,
    nb: `I en mappe får filen navnet "BitLocker Recovery Key ${protectorId}.TXT".`,
  }),
  wizardPrintOrSave: { en: 'Print now or save the sheet?', nb: 'Skrive ut nå eller lagre arket?' },
  wizardPrintNow: { en: 'Print now', nb: 'Skriv ut nå' },
  wizardPrintNowHint: { en: 'on a CUPS printer', nb: 'på en CUPS-skriver' },
  wizardSavePdf: { en: 'Save the printable sheet as PDF', nb: 'Lagre arket for utskrift som PDF' },
  wizardPrinterName: {
    en: 'Printer name (lpstat -e lists them)',
    nb: 'Navnet på skriveren (lpstat -e lister dem)',
  },
  wizardPrinterNeeded: { en: 'Type the printer name.', nb: 'Skriv inn navnet på skriveren.' },
  wizardSaveSheetAs: { en: 'Save the sheet as', nb: 'Lagre arket som' },
  wizardKeyOpens: (image: string): Wording => ({
    en: `The key opens the volume in ${image}.`,
    nb: `Nøkkelen låser opp volumet i ${image}.`,
  }),
  wizardSummaryKeyId: { en: 'Key ID', nb: 'Nøkkel-ID' },
  wizardSummaryVolume: (volume: string): Wording => ({
    en: `  (volume ${volume})`,
    nb: `  (volum ${volume})`,
  }),
  wizardSummaryPrinter: (printer: string): Wording => ({
    en: `printer ${printer}`,
    nb: `skriver ${printer}`,
  }),
  wizardAboutTo: { en: 'About to back up', nb: 'Klar til å sikkerhetskopiere' },
  wizardGoAhead: { en: 'Go ahead?', nb: 'Sette i gang?' },
  wizardDone: {
    en: 'Done. Keep each copy away from the computer it unlocks.',
    nb: 'Ferdig. Oppbevar hver kopi unna datamaskinen den låser opp.',
  },

  // this Windows computer's own volumes
  needsAdministrator: {
    en: 'Reading the recovery keys of this computer needs an administrator: open the terminal with "Run as administrator" and try again, or give a saved key with --from.',
    nb: 'Å lese gjenopprettingsnøklene til denne datamaskinen krever en administrator: åpne terminalen med «Kjør som administrator» og prøv igjen, eller oppgi en lagret nøkkel med --from.',
  },
  windowsCommandNotFound: (command: string): Wording => ({
    en: `Could not read this computer's BitLocker volumes (${command} was not found). Give a saved key with --from instead.`,
    nb: `Kunne ikke lese BitLocker-volumene til denne datamaskinen (fant ikke ${command}). Oppgi en lagret nøkkel med --from i stedet.`,
  }),
  windowsCommandFailed: (command: string, output: string): Wording => ({
    en: `Could not read this computer's BitLocker volumes (${command} said: ${output}). Give a saved key with --from instead.`,
    nb: `Kunne ikke lese BitLocker-volumene til denne datamaskinen (${command} sa: ${output}). Oppgi en lagret nøkkel med --from i stedet.`,
  }),
  manageBdeUnreadable: (reason: Wording): Wording => ({
    en: `manage-bde printed something Keyhold cannot read (${reason.en}). Save the output of "manage-bde -protectors -get C:" to a file and give it with --from.`,
    nb: `manage-bde skrev ut noe Keyhold ikke kan lese (${reason.nb}). Lagre utdataene fra "manage-bde -protectors -get C:" i en fil og oppgi den med --from.`,
  }),
} satisfies Record<string, Wording | ((...args: never[]) => Wording)>;
