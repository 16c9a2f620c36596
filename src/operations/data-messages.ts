import type { Wording } from '../text/wording.js';

/**
 * What stops a server or an admin command from reaching its data: the data folder, the master
 * key, the database's migrations. Errors carry the wording; logs and `message` get the English.
 */
export const dataMessages = {
  dataDirUnusable: (dataDir: string, problem: Wording): Wording => ({
    en: `the data folder ${dataDir} cannot be used: ${problem.en}. Give --data-dir (or KEYHOLD_DATA_DIR) a folder Keyhold may write in.`,
    nb: `datamappen ${dataDir} kan ikke brukes: ${problem.nb}. Gi --data-dir (eller KEYHOLD_DATA_DIR) en mappe Keyhold kan skrive i.`,
  }),
  isAFile: {
    en: 'it is a file, not a folder',
    nb: 'den er en fil, ikke en mappe',
  } satisfies Wording,
  pathHasAFile: {
    en: 'part of its path is a file, not a folder',
    nb: 'en del av stien er en fil, ikke en mappe',
  } satisfies Wording,
  readOnly: {
    en: 'it is on a read-only file system',
    nb: 'den ligger på et skrivebeskyttet filsystem',
  } satisfies Wording,
  permissionDenied: (user: string): Wording => ({
    en: `permission denied to user ${user}`,
    nb: `ingen tilgang for brukeren ${user}`,
  }),
  diskFull: { en: 'the disk is full', nb: 'disken er full' } satisfies Wording,

  notAMasterKeyLine: (source: string, line: number): Wording => ({
    en: `${source}: line ${line} is not a master key; expected "<version>:<base64 of 32 bytes>"`,
    nb: `${source}: linje ${line} er ikke en hovednøkkel; forventet «<versjon>:<base64 av 32 byte>»`,
  }),
  noMasterKeyIn: (source: string): Wording => ({
    en: `${source} holds no master key`,
    nb: `${source} inneholder ingen hovednøkkel`,
  }),
  versionTwice: (source: string): Wording => ({
    en: `${source} lists a master key version twice`,
    nb: `${source} oppgir samme hovednøkkelversjon to ganger`,
  }),
  unreadableKeyFile: (file: string, reason: string): Wording => ({
    en: `cannot read the master key file ${file}: ${reason}`,
    nb: `kan ikke lese hovednøkkelfilen ${file}: ${reason}`,
  }),
  keyFileReadableByOthers: (file: string): Wording => ({
    en: `the master key file ${file} can be read by other users; run: chmod 600 ${file}`,
    nb: `hovednøkkelfilen ${file} kan leses av andre brukere; kjør: chmod 600 ${file}`,
  }),
  noMasterKey: { en: 'no master key', nb: 'ingen hovednøkkel' } satisfies Wording,
  missingVersion: (version: number, source: string): Wording => ({
    en: `data in the database was sealed with master key version ${version}, which ${source} does not hold. Restore the master key file that belongs to this database.`,
    nb: `data i databasen ble forseglet med hovednøkkelversjon ${version}, som ${source} ikke har. Gjenopprett hovednøkkelfilen som hører til denne databasen.`,
  }),
  masterKeyFileMissing: (file: string): Wording => ({
    en: `master.key is missing: there is no master key at ${file}. Give --data-dir (or --master-key-file) of the server whose database this is.`,
    nb: `master.key mangler: det finnes ingen hovednøkkel i ${file}. Oppgi --data-dir (eller --master-key-file) til serveren som eier denne databasen.`,
  }),
  masterKeyMissingForSecrets: (file: string, location: string): Wording => ({
    en: `master.key is missing: there is no ${file}, and the database at ${location} holds secrets sealed with it. Restore master.key from your copy of it (or give --master-key-file or KEYHOLD_MASTER_KEY); a new key could not open them, so none was created.`,
    nb: `master.key mangler: ${file} finnes ikke, og databasen i ${location} har hemmeligheter forseglet med den. Gjenopprett master.key fra kopien din (eller oppgi --master-key-file eller KEYHOLD_MASTER_KEY); en ny nøkkel kunne ikke åpnet dem, så ingen ble laget.`,
  }),
  masterKeyNotThisDatabase: (source: string, location: string): Wording => ({
    en: `the master key from ${source} does not belong to the database at ${location}. Start with the master key this database was created with.`,
    nb: `hovednøkkelen fra ${source} hører ikke til databasen i ${location}. Start med hovednøkkelen databasen ble laget med.`,
  }),
  cannotRotateSource: (source: string): Wording => ({
    en: `the master key comes from ${source}, which Keyhold cannot change. Put the key in a file (--master-key-file or KEYHOLD_MASTER_KEY_FILE) to rotate it.`,
    nb: `hovednøkkelen kommer fra ${source}, som Keyhold ikke kan endre. Legg nøkkelen i en fil (--master-key-file eller KEYHOLD_MASTER_KEY_FILE) for å bytte den.`,
  }),
  oldVersionsStay: (file: string): Wording => ({
    en: `some secrets still use an old master key, so the old versions stay in ${file}. Run the rotation again.`,
    nb: `noen hemmeligheter bruker fortsatt en gammel hovednøkkel, så de gamle versjonene blir liggende i ${file}. Kjør byttet på nytt.`,
  }),

  noSchema: (location: string): Wording => ({
    en: `The database at ${location} has no schema to create tables in: check the search_path.`,
    nb: `Databasen i ${location} har ikke noe skjema å lage tabeller i: kontroller search_path.`,
  }),
  migrationFailed: (location: string, migration: string | undefined, reason: string): Wording => ({
    en: `Could not update the database at ${location}${migration ? ` (migration ${migration})` : ''}: ${reason}`,
    nb: `Kunne ikke oppdatere databasen i ${location}${migration ? ` (migrering ${migration})` : ''}: ${reason}`,
  }),
};
