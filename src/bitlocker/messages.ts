import type { Wording } from '../text/wording.js';

/** `"O"`, `"O" and "l"`, `"O", "o" and "l"`: in English quotes and with "and". */
function quotedEnglish(letters: readonly string[]): string {
  const quoted = letters.map((letter) => `"${letter}"`);
  return quoted.length <= 1
    ? (quoted[0] ?? '')
    : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1) ?? ''}`;
}

/** The same in Norwegian quotes and with "og". */
function quotedBokmal(letters: readonly string[]): string {
  const quoted = letters.map((letter) => `«${letter}»`);
  return quoted.length <= 1
    ? (quoted[0] ?? '')
    : `${quoted.slice(0, -1).join(', ')} og ${quoted.at(-1) ?? ''}`;
}

/**
 * Everything the BitLocker readers tell the person who gave them a file or typed a key, in
 * English and Bokmål. Errors carry these wordings (`BitLockerFormatError.wording`); the command
 * line and the server pick the person's language. IDs, byte counts and tool names stay as they
 * are in both languages.
 */
export const bitLockerMessages = {
  // recovery-password.ts
  recoveryPasswordInvalid: {
    en: 'The recovery password is not valid.',
    nb: 'Gjenopprettingsnøkkelen er ikke gyldig.',
  } satisfies Wording,
  badBlock: (block: number, value: string, reason: Wording): Wording => ({
    en: `Block ${block} (${value}) ${reason.en}.`,
    nb: `Blokk ${block} (${value}) ${reason.nb}.`,
  }),
  blockNotMultipleOf11: {
    en: 'is not a valid block (every block is a multiple of 11): check for a mistyped or swapped digit',
    nb: 'er ikke en gyldig blokk (hver blokk går opp i 11-gangen): se etter et feilskrevet eller ombyttet siffer',
  } satisfies Wording,
  blockTooLarge: (largest: number): Wording => ({
    en: `is not a valid block: no block is larger than ${largest}`,
    nb: `er ikke en gyldig blokk: ingen blokk er større enn ${largest}`,
  }),
  blockDigitCount: (digits: number, blockDigits: number): Wording => ({
    en: `has ${digits} digit${digits === 1 ? '' : 's'}; every block has ${blockDigits}`,
    nb: `har ${digits} ${digits === 1 ? 'siffer' : 'sifre'}; hver blokk har ${blockDigits}`,
  }),
  noRecoveryPasswordFound: (digits: number, blocks: number, blockDigits: number): Wording => ({
    en: `No recovery password found: expected ${digits} digits in ${blocks} blocks of ${blockDigits}.`,
    nb: `Fant ingen gjenopprettingsnøkkel: forventet ${digits} sifre i ${blocks} blokker på ${blockDigits}.`,
  }),
  passwordDigitCount: (
    digits: number,
    needed: number,
    blocks: number,
    blockDigits: number,
  ): Wording => ({
    en: `The recovery password has ${digits} digits; it needs ${needed} (${blocks} blocks of ${blockDigits}).`,
    nb: `Gjenopprettingsnøkkelen har ${digits} sifre; den trenger ${needed} (${blocks} blokker på ${blockDigits}).`,
  }),
  passwordBlockCount: (
    blocks: number,
    digits: number,
    neededBlocks: number,
    blockDigits: number,
  ): Wording => ({
    en: `The recovery password has ${blocks} blocks (${digits} digits); it needs ${neededBlocks} blocks of ${blockDigits} digits.`,
    nb: `Gjenopprettingsnøkkelen har ${blocks} blokker (${digits} sifre); den trenger ${neededBlocks} blokker på ${blockDigits} sifre.`,
  }),
  recoveryKeyLength: (expected: number, got: number): Wording => ({
    en: `A recovery key is ${expected} bytes; got ${got}.`,
    nb: `En gjenopprettingsnøkkel er ${expected} byte; fikk ${got}.`,
  }),

  // lookalike-digits.ts
  lookalikes: (zeros: readonly string[], ones: readonly string[]): Wording => {
    const count = zeros.length + ones.length;
    const en = [
      zeros.length > 0 ? `${quotedEnglish(zeros)} should be the digit 0 (zero)` : '',
      ones.length > 0 ? `${quotedEnglish(ones)} should be the digit 1 (one)` : '',
    ].filter(Boolean);
    const nb = [
      zeros.length > 0 ? `${quotedBokmal(zeros)} skal være sifferet 0 (null)` : '',
      ones.length > 0 ? `${quotedBokmal(ones)} skal være sifferet 1 (en)` : '',
    ].filter(Boolean);
    return {
      en: `${count === 1 ? 'The letter' : 'The letters'} ${en.join(', and ')}.`,
      nb: `${count === 1 ? 'Bokstaven' : 'Bokstavene'} ${nb.join(', og ')}.`,
    };
  },

  // protector-id.ts
  notAProtectorId: (shown: string): Wording => ({
    en: `${shown} is not a key protector ID.`,
    nb: `${shown} er ikke en ID for en nøkkelbeskytter.`,
  }),
  partialProtectorId: (hexDigits: number): Wording => ({
    en: `It has ${hexDigits} hex digits; a full ID has 32. To look a key up by the 8 characters the recovery screen shows, search by prefix instead.`,
    nb: `Den har ${hexDigits} heksadesimale sifre; en fullstendig ID har 32. For å finne en nøkkel ut fra de 8 tegnene gjenopprettingsskjermen viser, søk heller etter starten av ID-en.`,
  }),
  protectorIdExample: {
    en: 'Expected 32 hex digits such as 64311DEA-4587-4029-924A-BA299647998E.',
    nb: 'Forventet 32 heksadesimale sifre, for eksempel 64311DEA-4587-4029-924A-BA299647998E.',
  } satisfies Wording,
  protectorIdBytes: (got: number): Wording => ({
    en: `A key protector ID is 16 bytes on disk; got ${got} bytes.`,
    nb: `En ID for en nøkkelbeskytter er 16 byte på disken; fikk ${got} byte.`,
  }),
  keyIdEmpty: {
    en: 'The Key ID is empty. Type the 8 characters the recovery screen shows.',
    nb: 'Nøkkel-ID-en er tom. Skriv de 8 tegnene gjenopprettingsskjermen viser.',
  } satisfies Wording,
  notAKeyId: (shown: string): Wording => ({
    en: `${shown} is not a Key ID: only the digits 0-9 and letters A-F can appear in one.`,
    nb: `${shown} er ikke en nøkkel-ID: bare sifrene 0-9 og bokstavene A-F kan stå i en.`,
  }),
  keyIdTooLong: (shown: string, hexDigits: number): Wording => ({
    en: `${shown} is too long for a Key ID: it has ${hexDigits} hex digits, at most 32.`,
    nb: `${shown} er for lang for en nøkkel-ID: den har ${hexDigits} heksadesimale sifre, høyst 32.`,
  }),

  // recovery-file.ts
  binaryNotRecoveryFile: {
    en: 'This is binary data, not a recovery key file.',
    nb: 'Dette er binærdata, ikke en gjenopprettingsnøkkelfil.',
  } satisfies Wording,
  noValidRecoveryPassword: {
    en: 'The text has no valid 48-digit recovery password.',
    nb: 'Teksten har ingen gyldig gjenopprettingsnøkkel på 48 sifre.',
  } satisfies Wording,
  recoveryPasswordTypo: (block: number, value: string, reason: Wording): Wording => ({
    en: `A recovery password in it has a typo: block ${block} (${value}) ${reason.en}.`,
    nb: `En gjenopprettingsnøkkel i den har en skrivefeil: blokk ${block} (${value}) ${reason.nb}.`,
  }),
  noProtectorIdForPassword: {
    en: 'The text has a recovery password but no full key protector ID (Identifier) to go with it.',
    nb: 'Teksten har en gjenopprettingsnøkkel, men ingen fullstendig ID for nøkkelbeskytteren (identifikator) som hører til den.',
  } satisfies Wording,
  idsAndPasswordsDiffer: (ids: number, passwords: number): Wording => ({
    en: `The text has ${ids} key protector IDs and ${passwords} recovery passwords, so it is not clear which belongs to which.`,
    nb: `Teksten har ${ids} ID-er for nøkkelbeskyttere og ${passwords} gjenopprettingsnøkler, så det er ikke klart hva som hører sammen.`,
  }),

  // bek-file.ts
  inTheFile: { en: 'the file', nb: 'filen' } satisfies Wording,
  inTheExternalKey: { en: 'the external key', nb: 'den eksterne nøkkelen' } satisfies Wording,
  bekEntryDamaged: (where: Wording, offset: number, size: number): Wording => ({
    en: `The startup key file is damaged: an entry in ${where.en} at byte ${offset} claims ${size} bytes.`,
    nb: `Oppstartsnøkkelfilen er skadet: en oppføring i ${where.nb} ved byte ${offset} oppgir ${size} byte.`,
  }),
  bekTooShort: (size: number, headerSize: number): Wording => ({
    en: `This is not a startup key file: it has ${size} bytes, fewer than the ${headerSize}-byte header.`,
    nb: `Dette er ikke en oppstartsnøkkelfil: den har ${size} byte, færre enn filhodet på ${headerSize} byte.`,
  }),
  bekBadHeader: {
    en: 'This is not a startup key file: its header does not have the BitLocker metadata layout.',
    nb: 'Dette er ikke en oppstartsnøkkelfil: filhodet er ikke bygd opp som BitLocker-metadata.',
  } satisfies Wording,
  bekTruncated: (declared: number, size: number): Wording => ({
    en: `The startup key file is incomplete: its header says ${declared} bytes, the file has ${size}.`,
    nb: `Oppstartsnøkkelfilen er ufullstendig: filhodet sier ${declared} byte, filen har ${size}.`,
  }),
  bekNoExternalKeyEntry: {
    en: 'The startup key file holds no external key entry.',
    nb: 'Oppstartsnøkkelfilen har ingen oppføring for en ekstern nøkkel.',
  } satisfies Wording,
  bekUnexpectedKey: (method: string, size: number): Wording => ({
    en: `The startup key file holds a key of an unexpected kind (method 0x${method}, ${size} bytes).`,
    nb: `Oppstartsnøkkelfilen har en nøkkel av en uventet type (metode 0x${method}, ${size} byte).`,
  }),
  bekNoKey: {
    en: 'The startup key file holds no key.',
    nb: 'Oppstartsnøkkelfilen har ingen nøkkel.',
  } satisfies Wording,
  startupKeySize: (expected: number, got: number): Wording => ({
    en: `A startup key is ${expected} bytes; got ${got}.`,
    nb: `En oppstartsnøkkel er ${expected} byte; fikk ${got}.`,
  }),

  // powershell.ts
  psVolumeProtector: (volume: string, position: number): Wording => ({
    en: `Volume ${volume}, key protector ${position},`,
    nb: `Volum ${volume}, nøkkelbeskytter ${position},`,
  }),
  psLooseProtector: (position: number): Wording => ({
    en: `Key protector ${position}`,
    nb: `Nøkkelbeskytter ${position}`,
  }),
  psNotAProtector: (where: Wording): Wording => ({
    en: `${where.en} is not a key protector object.`,
    nb: `${where.nb} er ikke et objekt for en nøkkelbeskytter.`,
  }),
  psNoProtectorId: (where: Wording): Wording => ({
    en: `${where.en} has no KeyProtectorId.`,
    nb: `${where.nb} har ingen KeyProtectorId.`,
  }),
  psIdNotAGuid: (where: Wording, shown: string): Wording => ({
    en: `${where.en} has a KeyProtectorId that is not a GUID: ${shown}.`,
    nb: `${where.nb} har en KeyProtectorId som ikke er en GUID: ${shown}.`,
  }),
  psBadRecoveryPassword: (
    where: Wording,
    id: string,
    bad: { block: number; reason: Wording } | undefined,
  ): Wording => ({
    en: `${where.en} (${id}) has an invalid RecoveryPassword${bad ? `: block ${bad.block} ${bad.reason.en}` : ''}.`,
    nb: `${where.nb} (${id}) har et ugyldig RecoveryPassword${bad ? `: blokk ${bad.block} ${bad.reason.nb}` : ''}.`,
  }),
  psNotJson: (detail: string): Wording => ({
    en: `The text is not valid JSON (${detail}).`,
    nb: `Teksten er ikke gyldig JSON (${detail}).`,
  }),
  psNoVolumes: {
    en: 'The JSON holds no BitLocker volumes.',
    nb: 'JSON-teksten inneholder ingen BitLocker-volumer.',
  } satisfies Wording,
  psItemNotAnObject: (item: number): Wording => ({
    en: `Item ${item} of the JSON is not an object.`,
    nb: `Element ${item} i JSON-teksten er ikke et objekt.`,
  }),
  psItemUnknown: (item: number): Wording => ({
    en: `Item ${item} of the JSON has neither MountPoint/KeyProtector (a volume) nor KeyProtectorId (a key protector).`,
    nb: `Element ${item} i JSON-teksten har verken MountPoint/KeyProtector (et volum) eller KeyProtectorId (en nøkkelbeskytter).`,
  }),
  psAddedProtectorCount: (count: number): Wording => ({
    en: `The volume lists ${count} recovery password protectors with the password just added; expected exactly one.`,
    nb: `Volumet viser ${count} beskyttere med gjenopprettingsnøkkelen som nettopp ble lagt til; forventet nøyaktig én.`,
  }),

  // manage-bde.ts
  mbNoProtectors: {
    en: 'The text lists no key protectors (no "ID: {GUID}" lines from manage-bde -protectors -get).',
    nb: 'Teksten viser ingen nøkkelbeskyttere (ingen «ID: {GUID}»-linjer fra manage-bde -protectors -get).',
  } satisfies Wording,
  mbAddedPasswordCount: (count: number): Wording => ({
    en: `The text names ${count} added numerical passwords; manage-bde -protectors -add -RecoveryPassword adds exactly one.`,
    nb: `Teksten nevner ${count} numeriske passord som ble lagt til; manage-bde -protectors -add -RecoveryPassword legger til nøyaktig ett.`,
  }),
  mbNoVolumes: {
    en: 'The text has no volume headings (such as "Volume C: [Windows]") from manage-bde -status.',
    nb: 'Teksten har ingen volumoverskrifter (som «Volume C: [Windows]») fra manage-bde -status.',
  } satisfies Wording,

  // key-sources.ts
  textTooLarge: (megabytes: number): Wording => ({
    en: `This text is ${megabytes} MB, far larger than any key file or tool output.`,
    nb: `Denne teksten er på ${megabytes} MB, langt større enn noen nøkkelfil eller utdata fra et verktøy.`,
  }),
  statusOnly: (volumes: string, mountPoint: string): Wording => ({
    en: `This is manage-bde -status output (${volumes}): it shows protector types but no IDs or recovery passwords. Save the output of "manage-bde -protectors -get ${mountPoint}" instead.`,
    nb: `Dette er utdata fra manage-bde -status (${volumes}): de viser hvilke typer beskyttere stasjonen har, men ingen ID-er eller gjenopprettingsnøkler. Lagre utdata fra «manage-bde -protectors -get ${mountPoint}» i stedet.`,
  }),
  notAKeySource: (looksLike: Wording): Wording => ({
    en: `looks like ${looksLike.en}, not a BitLocker key file or tool output`,
    nb: `ser ut som ${looksLike.nb}, ikke en BitLocker-nøkkelfil eller utdata fra et verktøy`,
  }),
  unreadableAs: (looksLike: Wording, problem: Wording): Wording => ({
    en: `looks like ${looksLike.en}: ${problem.en}`,
    nb: `ser ut som ${looksLike.nb}: ${problem.nb}`,
  }),
  bekSource: {
    en: 'a BitLocker startup key file (.BEK)',
    nb: 'en BitLocker-oppstartsnøkkelfil (.BEK)',
  } satisfies Wording,
  powerShellSource: {
    en: 'Get-BitLockerVolume | ConvertTo-Json output',
    nb: 'utdata fra Get-BitLockerVolume | ConvertTo-Json',
  } satisfies Wording,
  manageBdeSource: { en: 'manage-bde output', nb: 'utdata fra manage-bde' } satisfies Wording,
  recoveryKeyTextSource: {
    en: 'a BitLocker recovery key text file',
    nb: 'en tekstfil med en BitLocker-gjenopprettingsnøkkel',
  } satisfies Wording,
  volumeSource: {
    en: 'a BitLocker-encrypted volume',
    nb: 'et BitLocker-kryptert volum',
  } satisfies Wording,
  pngImage: { en: 'a PNG image', nb: 'et PNG-bilde' } satisfies Wording,
  jpegImage: { en: 'a JPEG image', nb: 'et JPEG-bilde' } satisfies Wording,
  gifImage: { en: 'a GIF image', nb: 'et GIF-bilde' } satisfies Wording,
  pdfDocument: { en: 'a PDF document', nb: 'et PDF-dokument' } satisfies Wording,
  zipArchive: {
    en: 'a ZIP archive (or an Office document)',
    nb: 'et ZIP-arkiv (eller et Office-dokument)',
  } satisfies Wording,
  oldOfficeDocument: {
    en: 'an old-style Office document',
    nb: 'et Office-dokument i det gamle formatet',
  } satisfies Wording,
  rtfDocument: { en: 'an RTF document', nb: 'et RTF-dokument' } satisfies Wording,
  gzipArchive: { en: 'a gzip archive', nb: 'et gzip-arkiv' } satisfies Wording,
  xzArchive: { en: 'an xz archive', nb: 'et xz-arkiv' } satisfies Wording,
  sevenZipArchive: { en: 'a 7-Zip archive', nb: 'et 7-Zip-arkiv' } satisfies Wording,
  windowsProgram: { en: 'a Windows program', nb: 'et Windows-program' } satisfies Wording,
  linuxProgram: { en: 'a Linux program', nb: 'et Linux-program' } satisfies Wording,
  vhdImage: { en: 'a VHD disk image', nb: 'et VHD-diskbilde' } satisfies Wording,
  vhdxImage: { en: 'a VHDX disk image', nb: 'et VHDX-diskbilde' } satisfies Wording,
  vmwareImage: { en: 'a VMware disk image', nb: 'et VMware-diskbilde' } satisfies Wording,
  bitLockerVolume: { en: 'a BitLocker volume', nb: 'et BitLocker-volum' } satisfies Wording,
  plainNtfsVolume: {
    en: 'an NTFS volume that is not BitLocker-encrypted',
    nb: 'et NTFS-volum som ikke er BitLocker-kryptert',
  } satisfies Wording,
  sqliteDatabase: { en: 'an SQLite database', nb: 'en SQLite-database' } satisfies Wording,
  emptyFile: { en: 'an empty file', nb: 'en tom fil' } satisfies Wording,
  emptyText: { en: 'an empty text', nb: 'en tom tekst' } satisfies Wording,
  // Only what the text reader then says is wrong tells whether it holds keys at all.
  text: { en: 'text', nb: 'tekst' } satisfies Wording,
  binaryData: { en: 'binary data', nb: 'binærdata' } satisfies Wording,

  // escrow-exports.ts
  escrowBadJson: {
    en: 'The file starts like JSON but is not valid JSON.',
    nb: 'Filen begynner som JSON, men er ikke gyldig JSON.',
  } satisfies Wording,
  escrowUnknownJson: {
    en: 'This JSON is not a recovery key export Keyhold knows: expected the Graph bitlockerRecoveryKey list (with key selected), Get-ADObject output for msFVE-RecoveryInformation, or a Keyhold export.',
    nb: 'Denne JSON-teksten er ikke en eksport av gjenopprettingsnøkler som Keyhold kjenner: forventet Graph-listen bitlockerRecoveryKey (med key valgt), utdata fra Get-ADObject for msFVE-RecoveryInformation eller en Keyhold-eksport.',
  } satisfies Wording,
  escrowUnknownFile: {
    en: 'This file is not a recovery key export Keyhold knows: send the Entra ID or Intune CSV, the Graph bitlockerRecoveryKey JSON, Active Directory LDIF or Get-ADObject JSON, the MBAM recovery database CSV, or a Keyhold export.',
    nb: 'Denne filen er ikke en eksport av gjenopprettingsnøkler som Keyhold kjenner: send CSV-filen fra Entra ID eller Intune, JSON fra Graph bitlockerRecoveryKey, LDIF fra Active Directory eller JSON fra Get-ADObject, CSV fra MBAM-gjenopprettingsdatabasen, eller en Keyhold-eksport.',
  } satisfies Wording,
};
