import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { sql } from 'kysely';
import { openBackupFile, writeBackupFile } from '../../src/operations/backup-file.js';
import { OperationError } from '../../src/operations/messages.js';
import { verifyBackup } from '../../src/operations/restore-backup.js';
import { findOnPath, postgresToolConnection, runTool } from '../../src/operations/take-backup.js';
import type { TestApp } from '../server/harness.js';
import {
  backedUpServer,
  backupPassphrase as passphrase,
  type BackedUpServer,
} from './backed-up-server.js';
import { requirement } from '../support/requirements.js';

const scratchDatabaseUrl = process.env.KEYHOLD_TEST_DATABASE_URL;
const skip = requirement(
  'postgres',
  !scratchDatabaseUrl
    ? 'KEYHOLD_TEST_DATABASE_URL is not set'
    : !findOnPath('pg_dump') || !findOnPath('pg_restore')
      ? 'pg_dump or pg_restore is not on the PATH'
      : undefined,
);
const withPassphrase = { passphrase: () => Promise.resolve(passphrase) };

/**
 * The scratch databases still there once any check running meanwhile (other test files share
 * the server) has had time to finish: a dropped one never comes back, a leaked one stays.
 */
async function scratchDatabasesLeft(): Promise<string[]> {
  const client = new pg.Client({ connectionString: scratchDatabaseUrl });
  await client.connect();
  try {
    for (let attempt = 0; ; attempt += 1) {
      const { rows } = await client.query<{ datname: string }>(
        "select datname from pg_database where datname like 'keyhold_verify_%'",
      );
      if (rows.length === 0 || attempt === 40) return rows.map((row) => row.datname);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await client.end();
  }
}

describe('verify-backup of a PostgreSQL backup', { skip }, () => {
  let fixture: BackedUpServer;
  let server: TestApp;
  let work: string;
  let original: string;

  before(async () => {
    fixture = await backedUpServer('postgres', 'verify-pg@example.org');
    ({ server, work, original } = fixture);
  });
  after(() => fixture.close());

  it('without a scratch database checks the archive and says the secrets were not checked', async () => {
    const check = await verifyBackup(original, withPassphrase);
    assert.equal(check.secretsOpened, undefined);
    assert.equal(check.auditEvents, undefined);
  });

  it('with a scratch database opens every secret and follows the audit chain, then drops it', async () => {
    const check = await verifyBackup(original, withPassphrase, { scratchDatabaseUrl });
    assert.ok((check.secretsOpened ?? 0) > 3, 'the recovery passwords and the chain key opened');
    assert.equal(check.auditEvents, check.manifest.auditHead.seq);
    assert.deepEqual(await scratchDatabasesLeft(), []);
  });

  it('refuses a changed audit row under fresh checksums, and drops the scratch database', async () => {
    // Someone with the backup store and a database: the dump is replaced by one with an audit
    // row changed, and the file is written again with checksums that match.
    const manifest = (await openBackupFile(original)).manifest;
    await sql`update audit_events set action = 'auth.signin' where seq = 1`.execute(server.ctx.db);
    const payload = join(work, 'changed.dump');
    const connection = postgresToolConnection(server.testDb.databaseUrl ?? '');
    await runTool(
      findOnPath('pg_dump') ?? 'pg_dump',
      [
        '--format=custom',
        `--schema=${server.testDb.schema ?? ''}`,
        '--no-owner',
        '--no-privileges',
        `--file=${payload}`,
        `--dbname=${connection.url}`,
      ],
      connection.env,
    );
    const changed = join(work, 'changed.keyhold-backup');
    await writeBackupFile(changed, manifest, payload);

    const archiveOnly = await verifyBackup(changed, withPassphrase);
    assert.equal(archiveOnly.secretsOpened, undefined, 'the archive alone cannot show it');
    await assert.rejects(
      verifyBackup(changed, withPassphrase, { scratchDatabaseUrl }),
      (error: unknown) =>
        error instanceof OperationError &&
        error.message.includes('the audit chain in the backup is broken'),
    );
    assert.deepEqual(await scratchDatabasesLeft(), []);
  });
});
