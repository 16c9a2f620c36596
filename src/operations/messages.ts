import type { Wording } from '../text/wording.js';

export type { Wording };

/**
 * A refusal from backup, restore or migration, worded in both languages: `message` is the English
 * one (logs, scripts), the CLI prints the one its user reads (see `terminalLanguage`).
 */
export class OperationError extends Error {
  override name = 'OperationError';
  /**
   * @param origin `backup`: the backup itself is refused; `environment`: something around it (a
   *   scratch database) could not be used, which says nothing about the backup.
   */
  constructor(
    readonly wording: Wording,
    readonly origin: 'backup' | 'environment' = 'backup',
  ) {
    super(wording.en);
  }
}

/** Everything backup, restore, verify-backup and migrate tell the operator. */
export const operationMessages = {
  scratchDatabaseUnusable: (url: string, reason: string): Wording => ({
    en: `a scratch database could not be created next to ${url} (${reason}); give --scratch-database-url a server where this user may create databases.`,
    nb: `kunne ikke opprette en midlertidig database ved siden av ${url} (${reason}); oppgi en server for --scratch-database-url der denne brukeren kan opprette databaser.`,
  }),
  postgresChecksSkipped: {
    en: 'not checked: whether the sealed secrets open with the master key, whether the audit chain is whole and whether the row counts match the manifest. A PostgreSQL backup is only fully checked when restored: add --scratch-database-url postgres://user@host/db to restore it into a temporary database there, check it and drop it again.',
    nb: 'ikke kontrollert: om de forseglede hemmelighetene åpnes med hovednøkkelen, om revisjonskjeden er hel og om antall rader stemmer med manifestet. En PostgreSQL-sikkerhetskopi kontrolleres bare helt ved gjenoppretting: legg til --scratch-database-url postgres://bruker@vert/db for å gjenopprette den i en midlertidig database der, kontrollere den og slette den igjen.',
  } satisfies Wording,
  notABackup: (file: string): Wording => ({
    en: `${file} is not a Keyhold backup (its first line is not "keyhold-backup/1").`,
    nb: `${file} er ikke en Keyhold-sikkerhetskopi (første linje er ikke «keyhold-backup/1»).`,
  }),
  unreadableManifest: (file: string, reason: string): Wording => ({
    en: `${file}: the backup's manifest is damaged (${reason}); the file was changed or cut short.`,
    nb: `${file}: manifestet i sikkerhetskopien er skadet (${reason}); filen er endret eller avkortet.`,
  }),
  truncated: (file: string, has: number, needs: number): Wording => ({
    en: `${file} is truncated: it holds ${has} bytes, the backup needs ${needs}. Copy it again from where it was made.`,
    nb: `${file} er avkortet: den har ${has} byte, sikkerhetskopien trenger ${needs}. Kopier den på nytt fra der den ble laget.`,
  }),
  trailingBytes: (file: string, extra: number): Wording => ({
    en: `${file} has ${extra} bytes more than the backup it claims to be; the file was changed.`,
    nb: `${file} har ${extra} byte mer enn sikkerhetskopien den utgir seg for; filen er endret.`,
  }),
  checksumMismatch: (file: string): Wording => ({
    en: `${file} is damaged: its SHA-256 checksum does not match the one written at its end.`,
    nb: `${file} er skadet: SHA-256-sjekksummen stemmer ikke med den som står til slutt i filen.`,
  }),
  payloadMismatch: (file: string): Wording => ({
    en: `${file} is damaged: the database inside does not match the checksum in its manifest.`,
    nb: `${file} er skadet: databasen i filen stemmer ikke med sjekksummen i manifestet.`,
  }),
  databaseDamaged: (detail: string): Wording => ({
    en: `the database in the backup fails SQLite's integrity check: ${detail}`,
    nb: `databasen i sikkerhetskopien består ikke SQLites integritetskontroll: ${detail}`,
  }),
  newerSchema: (location: string, migration: string): Wording => ({
    en:
      `the database at ${location} was last changed by a newer Keyhold (migration ${migration}, ` +
      'which this version does not know). Run that newer version, or restore a backup taken ' +
      'before the upgrade.',
    nb:
      `databasen i ${location} ble sist endret av en nyere Keyhold (migreringen ${migration}, ` +
      'som denne versjonen ikke kjenner). Kjør den nyere versjonen, eller gjenopprett en ' +
      'sikkerhetskopi tatt før oppgraderingen.',
  }),
  countMismatch: (table: string, expected: number, found: number): Wording => ({
    en: `the backup's manifest counts ${expected} rows in ${table}, the database inside holds ${found}.`,
    nb: `manifestet teller ${expected} rader i ${table}, databasen i sikkerhetskopien har ${found}.`,
  }),
  auditHeadMismatch: (expected: string, found: string): Wording => ({
    en: `the audit chain head in the manifest is ${expected}, the database inside ends at ${found}.`,
    nb: `revisjonskjedens hode i manifestet er ${expected}, databasen i sikkerhetskopien slutter på ${found}.`,
  }),
  auditChainBroken: (problem: string): Wording => ({
    en: `the audit chain in the backup is broken: ${problem}`,
    nb: `revisjonskjeden i sikkerhetskopien er brutt: ${problem}`,
  }),
  noAuditKey: {
    en: 'the backup holds no audit chain key, so its audit chain cannot be checked.',
    nb: 'sikkerhetskopien har ingen nøkkel for revisjonskjeden, så kjeden kan ikke kontrolleres.',
  },
  masterKeyNeeded: (versions: number[]): Wording => ({
    en:
      `this backup holds no master key. Give the master key file that was in use when it was ` +
      `taken (versions ${versions.join(', ')}) with --master-key-file or KEYHOLD_MASTER_KEY.`,
    nb:
      `denne sikkerhetskopien har ingen hovednøkkel. Oppgi hovednøkkelfilen som var i bruk da ` +
      `den ble tatt (versjon ${versions.join(', ')}) med --master-key-file eller KEYHOLD_MASTER_KEY.`,
  }),
  masterKeyMissingVersion: (source: string, version: number): Wording => ({
    en: `the master key from ${source} has no version ${version}, which sealed secrets in this backup.`,
    nb: `hovednøkkelen fra ${source} har ikke versjon ${version}, som forseglet hemmeligheter i denne sikkerhetskopien.`,
  }),
  masterKeyWrong: (source: string, version: number): Wording => ({
    en:
      `the master key from ${source} (version ${version}) is not the one this backup's secrets ` +
      'were sealed with. Give the key file of the server the backup came from.',
    nb:
      `hovednøkkelen fra ${source} (versjon ${version}) er ikke den hemmelighetene i denne ` +
      'sikkerhetskopien ble forseglet med. Oppgi nøkkelfilen til serveren sikkerhetskopien kom fra.',
  }),
  secretDoesNotOpen: (id: string, kind: string, source: string): Wording => ({
    en: `secret ${id} (${kind}) in the backup does not open with the master key from ${source}: it was altered or sealed with another key.`,
    nb: `hemmeligheten ${id} (${kind}) i sikkerhetskopien lar seg ikke åpne med hovednøkkelen fra ${source}: den er endret eller forseglet med en annen nøkkel.`,
  }),
  wrongPassphrase: {
    en: 'the passphrase does not open the master key sealed in this backup.',
    nb: 'passordfrasen åpner ikke hovednøkkelen som er forseglet i denne sikkerhetskopien.',
  },
  passphraseTooShort: (minimum: number): Wording => ({
    en: `the passphrase must be at least ${minimum} characters long.`,
    nb: `passordfrasen må ha minst ${minimum} tegn.`,
  }),
  passphrasesDiffer: {
    en: 'the two passphrases differ; nothing was written.',
    nb: 'de to passordfrasene er ulike; ingenting ble skrevet.',
  },
  passphraseNeeded: {
    en: 'give the passphrase with --passphrase-file, or run this on a terminal to type it.',
    nb: 'oppgi passordfrasen med --passphrase-file, eller kjør dette i en terminal for å skrive den inn.',
  },
  unreadablePassphraseFile: (file: string, reason: string): Wording => ({
    en: `cannot read the passphrase file ${file}: ${reason}`,
    nb: `kan ikke lese passordfrasefilen ${file}: ${reason}`,
  }),
  passphraseWithoutKey: {
    en: '--passphrase-file only applies with --with-master-key.',
    nb: '--passphrase-file gjelder bare sammen med --with-master-key.',
  },
  targetNotEmpty: (dir: string): Wording => ({
    en: `${dir} is not empty: a backup is only restored into an empty folder, so nothing there is overwritten.`,
    nb: `${dir} er ikke tom: en sikkerhetskopi gjenopprettes bare til en tom mappe, så ingenting der blir overskrevet.`,
  }),
  postgresRestoreNeedsUrl: {
    en: 'this backup is of a PostgreSQL database: give --database-url of an empty database to restore it into.',
    nb: 'denne sikkerhetskopien er av en PostgreSQL-database: oppgi --database-url til en tom database å gjenopprette den i.',
  },
  postgresTargetNotEmpty: (location: string, schema: string): Wording => ({
    en: `the database at ${location} already holds tables in schema ${schema}: restore into an empty database.`,
    nb: `databasen i ${location} har allerede tabeller i skjemaet ${schema}: gjenopprett til en tom database.`,
  }),
  sqliteBackupNeedsDataDir: {
    en: 'this backup is of a SQLite database: restore it with --data-dir and without --database-url.',
    nb: 'denne sikkerhetskopien er av en SQLite-database: gjenopprett den med --data-dir og uten --database-url.',
  },
  pgDumpMissing: (command: string): Wording => ({
    en:
      `pg_dump is not on the PATH, so Keyhold cannot back up this PostgreSQL database itself. ` +
      `Install the PostgreSQL client tools, or back it up with: ${command}`,
    nb:
      `pg_dump finnes ikke i PATH, så Keyhold kan ikke sikkerhetskopiere denne PostgreSQL-databasen selv. ` +
      `Installer PostgreSQLs klientverktøy, eller ta sikkerhetskopien med: ${command}`,
  }),
  pgToolMissing: (tool: string): Wording => ({
    en: `${tool} is not on the PATH: install the PostgreSQL client tools (postgresql-client).`,
    nb: `${tool} finnes ikke i PATH: installer PostgreSQLs klientverktøy (postgresql-client).`,
  }),
  passphraseCancelled: {
    en: 'cancelled: no passphrase was given, nothing was written.',
    nb: 'avbrutt: ingen passordfrase ble oppgitt, ingenting ble skrevet.',
  },
  pgToolFailed: (tool: string, detail: string): Wording => ({
    en: `${tool} failed: ${detail}`,
    nb: `${tool} feilet: ${detail}`,
  }),
  keyNotIncluded: (source: string, versions: number[]): Wording => ({
    en:
      `The master key is not in this backup. Restoring it needs the key file in use now ` +
      `(${source}, versions ${versions.join(', ')}): keep a copy of it apart from the backups, ` +
      'or take backups with --with-master-key.',
    nb:
      `Hovednøkkelen er ikke med i denne sikkerhetskopien. For å gjenopprette trengs nøkkelfilen ` +
      `som er i bruk nå (${source}, versjon ${versions.join(', ')}): ta vare på en kopi av den ` +
      'adskilt fra sikkerhetskopiene, eller ta sikkerhetskopier med --with-master-key.',
  }),
} satisfies Record<string, Wording | ((...args: never[]) => Wording)>;
