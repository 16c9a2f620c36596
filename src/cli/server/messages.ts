import type { Wording } from '../../text/wording.js';

/** What keyhold serve and keyhold admin tell the operator (printed with `say`). */
export const serverMessages = {
  // --help of serve and admin migrate
  skipBackupBeforeMigrate: {
    en: 'SQLite: skip the backup into <data-dir>/backups before migrating (KEYHOLD_BACKUP_BEFORE_MIGRATE=false)',
    nb: 'SQLite: hopp over sikkerhetskopien til <data-dir>/backups før migreringen (KEYHOLD_BACKUP_BEFORE_MIGRATE=false)',
  } satisfies Wording,

  cannotOpenDatabase: (reason: string): Wording => ({
    en: `cannot open the database: ${reason}`,
    nb: `kan ikke åpne databasen: ${reason}`,
  }),
  cannotListen: (where: string, reason: string): Wording => ({
    en: `Cannot listen on ${where}: ${reason}.`,
    nb: `Kan ikke lytte på ${where}: ${reason}.`,
  }),
  portTaken: {
    en: 'another program already listens there. Stop it, or choose another --port',
    nb: 'et annet program lytter der allerede. Stopp det, eller velg en annen --port',
  } satisfies Wording,
  portNeedsAdministrator: {
    en: 'that port needs administrator rights. Choose a port above 1023',
    nb: 'den porten krever administratorrettigheter. Velg en port over 1023',
  } satisfies Wording,
  noSuchAddress: {
    en: 'this computer has no such address. Check --host',
    nb: 'denne datamaskinen har ingen slik adresse. Sjekk --host',
  } satisfies Wording,
  dataAt: (location: string): Wording => ({
    en: `data: ${location}`,
    nb: `data lagres i ${location}`,
  }),
  serving: (address: string): Wording => ({
    en: `Keyhold is serving on ${address}`,
    nb: `Keyhold kjører på ${address}`,
  }),
  servingWithWorkers: (address: string, workers: number): Wording => ({
    en: `Keyhold is serving on ${address} with ${workers} worker processes`,
    nb: `Keyhold kjører på ${address} med ${workers} arbeidsprosesser`,
  }),
  stoppedCleanly: {
    en: 'Keyhold stopped cleanly.',
    nb: 'Keyhold stoppet uten feil.',
  } satisfies Wording,
  workersKeepStopping: (times: number): Wording => ({
    en: `server workers stopped ${times} times within a minute; stopping Keyhold. The messages above say why.`,
    nb: `arbeidsprosessene til serveren stoppet ${times} ganger i løpet av ett minutt; stopper Keyhold. Meldingene over forteller hvorfor.`,
  }),
  workerStopped: (why: string): Wording => ({
    en: `a server worker stopped unexpectedly (${why}); starting another`,
    nb: `en arbeidsprosess i serveren stoppet uventet (${why}); starter en ny`,
  }),
  exitCode: (code: number): Wording => ({
    en: `exit code ${code}`,
    nb: `avslutningskode ${code}`,
  }),
  createdMasterKeyTitle: {
    en: 'A new master key was created',
    nb: 'En ny hovednøkkel ble opprettet',
  } satisfies Wording,
  createdMasterKey: (source: string): Wording => ({
    en: `created a new master key in ${source}: back it up now, apart from database backups. Without it the stored recovery keys cannot be read.`,
    nb: `opprettet en ny hovednøkkel i ${source}: sikkerhetskopier den nå, atskilt fra sikkerhetskopiene av databasen. Uten den kan de lagrede gjenopprettingsnøklene ikke leses.`,
  }),
  backedUpBeforeMigrating: (file: string): Wording => ({
    en: `backed up the database before migrating it: ${file}`,
    nb: `sikkerhetskopierte databasen før migreringen: ${file}`,
  }),
  dataFolderOpen: (dir: string, mode: string): Wording => ({
    en: `the data folder ${dir} is open to other users (mode ${mode}); run: chmod 700 ${dir}`,
    nb: `datamappen ${dir} er åpen for andre brukere (modus ${mode}); kjør: chmod 700 ${dir}`,
  }),
  tlsKeyTooOpen: (file: string): Wording => ({
    en: `the TLS key file ${file} can be read by other users; run: chmod 600 ${file}`,
    nb: `TLS-nøkkelfilen ${file} kan leses av andre brukere; kjør: chmod 600 ${file}`,
  }),
  tlsUnreadable: (reason: string): Wording => ({
    en: `cannot read the TLS certificate or key (--tls-cert, --tls-key): ${reason}`,
    nb: `kan ikke lese TLS-sertifikatet eller -nøkkelen (--tls-cert, --tls-key): ${reason}`,
  }),
  backedUpFirst: (file: string): Wording => ({
    en: `Backed up the database first: ${file}`,
    nb: `Sikkerhetskopierte databasen først: ${file}`,
  }),
  schemaUpToDate: (database: string): Wording => ({
    en: `${database}: the schema is up to date.`,
    nb: `${database}: skjemaet er oppdatert.`,
  }),
  migrationsApplied: (database: string, applied: string): Wording => ({
    en: `${database}: applied ${applied}.`,
    nb: `${database}: kjørte ${applied}.`,
  }),
  masterKeyRotated: (version: number, rewrapped: number): Wording => ({
    en: `Master key version ${version} is now in use; ${rewrapped} data keys re-wrapped.`,
    nb: `Hovednøkkel versjon ${version} er nå i bruk; ${rewrapped} datanøkler pakket inn på nytt.`,
  }),
  oldVersionsRemoved: (versions: string, source: string): Wording => ({
    en: `Removed version ${versions} from ${source}. Backups taken before now need the old key file.`,
    nb: `Fjernet versjon ${versions} fra ${source}. Sikkerhetskopier tatt før nå trenger den gamle nøkkelfilen.`,
  }),
  secretsDamaged: (count: number, ids: string): Wording => ({
    en: `${count} secrets failed their integrity check and could not be re-wrapped (altered in the database): ${ids}. The old key versions were kept.`,
    nb: `${count} hemmeligheter besto ikke integritetskontrollen og kunne ikke pakkes inn på nytt (endret i databasen): ${ids}. De gamle nøkkelversjonene ble beholdt.`,
  }),
  intact: { en: 'intact', nb: 'intakt' } satisfies Wording,
  broken: { en: 'broken', nb: 'brutt' } satisfies Wording,
  auditIntact: (events: number, seq: number, hash: string): Wording => ({
    en: `${events} events, chain head ${seq} ${hash}`,
    nb: `${events} hendelser, kjedens hode ${seq} ${hash}`,
  }),
  keepTheHead: {
    en: 'Keep the head somewhere else: removing the newest events together with the head is only visible against it.',
    nb: 'Ta vare på hodet et annet sted: fjernes de nyeste hendelsene sammen med hodet, synes det bare mot det.',
  } satisfies Wording,
  orgNameLength: {
    en: '--name must be 1 to 100 characters.',
    nb: '--name må være 1 til 100 tegn.',
  } satisfies Wording,
  orgNameUnsafe: {
    en: '--name holds control characters or text-direction overrides; give a plain name.',
    nb: '--name inneholder kontrolltegn eller overstyring av tekstretning; oppgi et vanlig navn.',
  } satisfies Wording,
  noAccountFor: (email: string): Wording => ({
    en: `no account uses ${email}. Sign up with that email first, then run this again.`,
    nb: `ingen konto bruker ${email}. Registrer deg med den e-postadressen først, og kjør dette på nytt.`,
  }),
  organisationCreated: (name: string, id: string, email: string): Wording => ({
    en: `Created ${name} (${id}) with ${email} as its owner.`,
    nb: `Opprettet ${name} (${id}) med ${email} som eier.`,
  }),
};
