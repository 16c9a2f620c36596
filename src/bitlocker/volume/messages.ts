import { groupedDigits, type Wording } from '../../text/wording.js';

const englishBytes = (size: number) => groupedDigits(size, 'en');
const bokmalBytes = (size: number) => groupedDigits(size, 'nb');

/**
 * Everything the volume reader tells a person about an image or device it cannot read or will
 * not decrypt, in English and Bokmål (`BitLockerFormatError.wording`). Structure names that
 * start a sentence ("The volume header") are wordings of their own, so each message can name
 * the part that is damaged.
 */
export const volumeFormatMessages = {
  // The parts of a volume, as the subject of a sentence.
  volumeHeader: { en: 'The volume header', nb: 'Volumhodet' } satisfies Wording,
  metadataBlockAt: (offset: number): Wording => ({
    en: `The FVE metadata block at byte ${offset}`,
    nb: `FVE-metadatablokken ved byte ${offset}`,
  }),
  metadataHeaderAt: (offset: number): Wording => ({
    en: `The metadata header at byte ${offset}`,
    nb: `Metadatahodet ved byte ${offset}`,
  }),
  validationAreaAt: (offset: number): Wording => ({
    en: `The metadata validation area at byte ${offset}`,
    nb: `Valideringsområdet for metadataene ved byte ${offset}`,
  }),
  entryIn: (part: Wording, offset: number): Wording => ({
    en: `${part.en} (entry at byte ${offset})`,
    nb: `${part.nb} (oppføringen ved byte ${offset})`,
  }),

  // field-reader.ts, metadata.ts
  fieldPastEnd: (part: Wording, offset: number, size: number): Wording => ({
    en: `${part.en} is damaged: a field at byte ${offset} runs past its end (${size} bytes).`,
    nb: `${part.nb} er skadet: et felt ved byte ${offset} går forbi slutten (${size} byte).`,
  }),
  valueLargerThanAnyDisk: (part: Wording, offset: number): Wording => ({
    en: `${part.en} is damaged: the 64-bit value at byte ${offset} is larger than any disk.`,
    nb: `${part.nb} er skadet: 64-biters-verdien ved byte ${offset} er større enn noen disk.`,
  }),
  notBitLockerTooShort: (size: number): Wording => ({
    en: `This is not a BitLocker volume: it is only ${size} bytes long.`,
    nb: `Dette er ikke et BitLocker-volum: det er bare ${size} byte langt.`,
  }),
  notBitLockerSignature: {
    en: 'This is not a BitLocker volume: its first sector has no BitLocker signature.',
    nb: 'Dette er ikke et BitLocker-volum: den første sektoren har ingen BitLocker-signatur.',
  } satisfies Wording,
  plainFatVolume: {
    en: 'This is not a BitLocker volume: it is a plain FAT volume without BitLocker To Go.',
    nb: 'Dette er ikke et BitLocker-volum: det er et vanlig FAT-volum uten BitLocker To Go.',
  } satisfies Wording,
  vistaVolume: {
    en: 'This volume was encrypted by Windows Vista, whose BitLocker format Keyhold does not read. Open it on Windows 7 or later, or with dislocker.',
    nb: 'Dette volumet ble kryptert av Windows Vista, og det BitLocker-formatet leser ikke Keyhold. Åpne det i Windows 7 eller nyere, eller med dislocker.',
  } satisfies Wording,
  badSectorSize: (bytesPerSector: number): Wording => ({
    en: `The volume header is damaged: it gives ${bytesPerSector} bytes per sector (expected 512 to 4096).`,
    nb: `Volumhodet er skadet: det oppgir ${bytesPerSector} byte per sektor (forventet 512 til 4096).`,
  }),
  entriesNestTooDeep: (part: Wording, levels: number): Wording => ({
    en: `${part.en} is damaged: its entries nest more than ${levels} levels deep.`,
    nb: `${part.nb} er skadet: oppføringene ligger mer enn ${levels} nivåer inni hverandre.`,
  }),
  entryTooLarge: (part: Wording, offset: number, size: number, left: number): Wording => ({
    en: `${part.en} is damaged: the entry at byte ${offset} claims ${size} bytes, ${left} are left.`,
    nb: `${part.nb} er skadet: oppføringen ved byte ${offset} oppgir ${size} byte, men bare ${left} er igjen.`,
  }),
  encryptedValueTooShort: (part: Wording, size: number): Wording => ({
    en: `${part.en} is damaged: an encrypted value of ${size} bytes cannot hold its nonce and tag.`,
    nb: `${part.nb} er skadet: en kryptert verdi på ${size} byte har ikke plass til nonce og tagg.`,
  }),
  noMetadataSignature: (part: Wording): Wording => ({
    en: `${part.en} is damaged or missing: it does not start with the -FVE-FS- signature.`,
    nb: `${part.nb} er skadet eller mangler: den begynner ikke med signaturen -FVE-FS-.`,
  }),
  metadataSizeClaim: (part: Wording, size: number): Wording => ({
    en: `${part.en} is damaged: it claims ${size} bytes of metadata.`,
    nb: `${part.nb} er skadet: den oppgir ${size} byte metadata.`,
  }),
  crcMismatch: (part: Wording, stored: string, computed: string): Wording => ({
    en: `${part.en} is damaged: its CRC-32 does not match (stored ${stored}, computed ${computed}).`,
    nb: `${part.nb} er skadet: CRC-32-summen stemmer ikke (lagret ${stored}, beregnet ${computed}).`,
  }),
  metadataVersion: (part: Wording, version: number): Wording => ({
    en: `${part.en} has version ${version}; Keyhold reads version 2 (Windows 7 and later).`,
    nb: `${part.nb} har versjon ${version}; Keyhold leser versjon 2 (Windows 7 og nyere).`,
  }),
  metadataTotalSize: (part: Wording, claimed: number, present: number): Wording => ({
    en: `${part.en} is damaged: its metadata claims ${claimed} bytes, ${present} are there.`,
    nb: `${part.nb} er skadet: metadataene oppgir ${claimed} byte, det finnes ${present}.`,
  }),

  // volume-keys.ts
  volumeMasterKey: { en: 'volume master key', nb: 'volumhovednøkkelen' } satisfies Wording,
  volumeEncryptionKey: {
    en: 'volume encryption key',
    nb: 'volumkrypteringsnøkkelen',
  } satisfies Wording,
  fvek: { en: 'FVEK', nb: 'FVEK-nøkkelen' } satisfies Wording,
  integrityHash: {
    en: 'metadata integrity hash',
    nb: 'integritetshashen for metadataene',
  } satisfies Wording,
  keyDatumMalformed: (key: Wording, declared: number, present: number): Wording => ({
    en: `The ${key.en} decrypted correctly but is malformed (${declared} bytes declared, ${present} present).`,
    nb: `Dekrypteringen av ${key.nb} lyktes, men innholdet har feil form (${declared} byte oppgitt, ${present} til stede).`,
  }),
  notOpenedByVmk: (key: Wording): Wording => ({
    en: `The ${key.en} does not decrypt with the volume master key: the metadata is damaged or was altered.`,
    nb: `Volumhovednøkkelen dekrypterer ikke ${key.nb}: metadataene er skadet eller endret.`,
  }),
  noFvek: {
    en: 'The volume metadata holds no encrypted volume key (FVEK entry); the volume cannot be decrypted.',
    nb: 'Metadataene til volumet har ingen kryptert volumnøkkel (FVEK-oppføring); volumet kan ikke dekrypteres.',
  } satisfies Wording,

  // volume.ts
  allCopiesDamaged: (problems: readonly Wording[]): Wording => ({
    en: `All ${problems.length} copies of the BitLocker metadata are damaged, so the volume cannot be opened: ${problems
      .map((problem, i) => `copy ${i + 1}: ${problem.en}`)
      .join(' ')}`,
    nb: `Alle ${problems.length} kopiene av BitLocker-metadataene er skadet, så volumet kan ikke åpnes: ${problems
      .map((problem, i) => `kopi ${i + 1}: ${problem.nb}`)
      .join(' ')}`,
  }),
  metadataAltered: {
    en: 'The key opens the volume master key, but no metadata copy matches its integrity hash: the metadata was altered.',
    nb: 'Nøkkelen åpner volumhovednøkkelen, men ingen kopi av metadataene stemmer med integritetshashen: metadataene er endret.',
  } satisfies Wording,
  unknownMethodCode: (code: string): Wording => ({
    en: `This volume uses encryption method 0x${code}, which Keyhold does not know.`,
    nb: `Dette volumet bruker krypteringsmetoden 0x${code}, som Keyhold ikke kjenner.`,
  }),
  noUsableProtector: (types: string): Wording => ({
    en: `This volume can only be opened by ${types} protectors, which need the original computer's TPM or a smart card; Keyhold cannot use them. Add a recovery password on Windows.`,
    nb: `Dette volumet kan bare åpnes med beskyttere av typen ${types}, som trenger TPM-brikken i den opprinnelige datamaskinen eller et smartkort; dem kan ikke Keyhold bruke. Legg til en gjenopprettingsnøkkel i Windows.`,
  }),

  // volume-reader.ts, volume-layout.ts, sector-cipher.ts
  imageEndsAt: (end: number, volumeSize: number): Wording => ({
    en: `The image ends at byte ${end}, before the end of the volume (${volumeSize} bytes): it is incomplete.`,
    nb: `Diskbildet slutter ved byte ${end}, før slutten av volumet (${volumeSize} byte): det er ufullstendig.`,
  }),
  imageEndsEarly: (volumeSize: number): Wording => ({
    en: `The image ends before the end of the volume (${volumeSize} bytes): it is incomplete.`,
    nb: `Diskbildet slutter før slutten av volumet (${volumeSize} byte): det er ufullstendig.`,
  }),
  unknownEncryptionMethod: {
    en: 'The encryption method is unknown.',
    nb: 'Krypteringsmetoden er ukjent.',
  } satisfies Wording,
  imageShorterThanVolume: (imageSize: number, volumeSize: number): Wording => ({
    en: `The image is ${englishBytes(imageSize)} bytes but the BitLocker metadata gives the volume as ${englishBytes(volumeSize)} bytes: the image is incomplete. Copy the whole volume and try again.`,
    nb: `Diskbildet er ${bokmalBytes(imageSize)} byte, men BitLocker-metadataene oppgir volumet til ${bokmalBytes(volumeSize)} byte: diskbildet er ufullstendig. Kopier hele volumet og prøv igjen.`,
  }),
  layoutInconsistent: (problem: Wording): Wording => ({
    en: `The BitLocker metadata is inconsistent: ${problem.en}.`,
    nb: `BitLocker-metadataene henger ikke sammen: ${problem.nb}.`,
  }),
  sizeNotWholeSectors: (size: number): Wording => ({
    en: `the encrypted size ${size} is not whole sectors`,
    nb: `den krypterte størrelsen ${size} er ikke et helt antall sektorer`,
  }),
  movedBootSectorsOffBoundary: {
    en: 'the moved boot sectors do not start on a sector boundary',
    nb: 'de flyttede oppstartssektorene begynner ikke på en sektorgrense',
  } satisfies Wording,
  movedBootSectorsOutside: (size: number): Wording => ({
    en: `the moved boot sectors (${size} bytes) lie outside the volume`,
    nb: `de flyttede oppstartssektorene (${size} byte) ligger utenfor volumet`,
  }),
  metadataCopyOutside: (offset: number): Wording => ({
    en: `a metadata copy at byte ${offset} lies outside the volume or off a sector`,
    nb: `en metadatakopi ved byte ${offset} ligger utenfor volumet eller utenfor en sektorgrense`,
  }),
  methodNotDecrypted: (method: string): Wording => ({
    en: `Keyhold does not decrypt ${method} volumes.`,
    nb: `Keyhold dekrypterer ikke volumer med ${method}.`,
  }),
};
