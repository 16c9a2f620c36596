import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { loadKeyring } from '../../src/crypto/master-key.js';
import { SealedSecrets } from '../../src/crypto/sealed-secrets.js';
import type { Database } from '../../src/db/database.js';
import { newId } from '../../src/db/ids.js';
import { migrateUpTo } from '../../src/db/migrate.js';
import { OperationError } from '../../src/operations/messages.js';
import { loadConfig } from '../../src/server/config.js';
import { createServerContext } from '../../src/server/context.js';
import { AuditLog, loadAuditKey, serverActor } from '../../src/server/features/audit/index.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../server/databases.js';
import { testArgon2 } from '../server/harness.js';
import { runKeyhold } from '../support/cli.js';

const lastMigrationBefore = '2025-11-27-device-authorization';
const migrationsSince = [
  '2026-12-06-feedback-without-keys',
  '2026-12-06-organisation-libraries',
  '2026-12-06-passkeys',
  '2026-12-06-signed-in-state-notifications',
  '2026-12-06-single-sign-on',
  '2026-12-07-device-enrollment',
  '2026-12-07-organisation-rotation-coverage',
  '2026-12-07-reveal-approvals',
  '2026-12-08-mail',
  '2026-12-09-ensure-recovery-password',
  '2026-12-09-luks-keys',
  '2026-12-10-stateless-device-credentials',
  '2026-12-11-signed-in-state-per-schema',
];

/** A database as the previous release left it: its schema, a master key, audit events, feedback. */
async function databaseFromPreviousRelease(testDb: TestDatabase): Promise<Database> {
  const database = testDb.open();
  await migrateUpTo(database, lastMigrationBefore);
  const { keyring } = loadKeyring({ dataDir: testDb.dataDir, create: true });
  const auditKey = await loadAuditKey(database.db, new SealedSecrets(keyring));
  const audit = new AuditLog(auditKey, () => new Date(), database);
  for (const action of ['auth.signup', 'key.add']) await audit.recordAlone(serverActor, { action });
  await database.db
    .insertInto('feedback')
    .values({
      id: newId(),
      article: 'recovery-screen',
      helpful: 1,
      language_quality: null,
      reasons: '[]',
      comment: 'Found it: 235818-357951-253979-013365-241120-245575-342914-591910 worked',
      language: 'en',
      user_id: null,
      created_at: new Date().toISOString(),
    })
    .execute();
  return database;
}

function flagsOf(testDb: TestDatabase): string[] {
  const flags = ['--data-dir', testDb.dataDir];
  if (testDb.databaseUrl) flags.push('--database-url', testDb.databaseUrl);
  return flags;
}

describe('upgrading a SQLite database the previous release wrote', () => {
  let testDb: TestDatabase;
  before(async () => {
    testDb = await createTestDatabase('sqlite');
    await (await databaseFromPreviousRelease(testDb)).close();
  });
  after(() => testDb.cleanup());

  it('lists the pending migrations, backs up first, migrates, and the backup restores the old version', async () => {
    const dryRun = await runKeyhold([
      'admin',
      'migrate',
      '--dry-run',
      ...flagsOf(testDb),
      '--json',
    ]);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.deepEqual((JSON.parse(dryRun.stdout) as { pending: string[] }).pending, migrationsSince);

    const migrated = await runKeyhold(['admin', 'migrate', ...flagsOf(testDb), '--json']);
    assert.equal(migrated.code, 0, migrated.stderr);
    const result = JSON.parse(migrated.stdout) as { applied: string[]; backup: string };
    assert.deepEqual(result.applied, migrationsSince);
    assert.deepEqual(await readdir(join(testDb.dataDir, 'backups')), [
      result.backup.split('/').at(-1),
    ]);

    const verified = await runKeyhold([
      'admin',
      'verify-backup',
      result.backup,
      '--master-key-file',
      join(testDb.dataDir, 'master.key'),
      '--json',
    ]);
    assert.equal(verified.code, 0, verified.stderr);
    const check = JSON.parse(verified.stdout) as {
      manifest: { database: { schemaVersion: string }; auditHead: { seq: number } };
      auditEvents: number;
    };
    assert.equal(check.manifest.database.schemaVersion, lastMigrationBefore);
    assert.equal(check.auditEvents, 2);

    const config = loadConfig({ ...testArgon2, dataDir: testDb.dataDir, logLevel: 'silent' }, {});
    const ctx = await createServerContext(config);
    try {
      const feedback = await ctx.db.selectFrom('feedback').select('comment').execute();
      assert.deepEqual(feedback, [{ comment: 'Found it: […] worked' }]);
      assert.equal((await ctx.audit.verify(ctx.db)).problem, undefined);
      assert.equal(ctx.upgradeBackup, undefined, 'an up-to-date database is not backed up again');
    } finally {
      await ctx.close();
    }
  });
});

for (const kind of databaseKinds) {
  describe(`a database from a newer Keyhold on ${kind.name}`, { skip: kind.skip }, () => {
    let testDb: TestDatabase;
    before(async () => {
      testDb = await createTestDatabase(kind.name);
      const database = await databaseFromPreviousRelease(testDb);
      await sql`insert into kysely_migration (name, timestamp) values (${'2099-01-01-from-a-newer-release'}, ${new Date().toISOString()})`.execute(
        database.db,
      );
      await database.close();
    });
    after(() => testDb.cleanup());

    it('is never started on or migrated, and the refusal says why', async () => {
      const config = loadConfig(
        { ...testArgon2, dataDir: testDb.dataDir, databaseUrl: testDb.databaseUrl },
        {},
      );
      await assert.rejects(createServerContext(config), (error: unknown) => {
        assert.ok(error instanceof OperationError);
        assert.match(
          error.message,
          /was last changed by a newer Keyhold \(migration 2099-01-01-from-a-newer-release/,
        );
        assert.match(error.wording.nb, /ble sist endret av en nyere Keyhold/);
        return true;
      });
      const dryRun = await runKeyhold(['admin', 'migrate', '--dry-run', ...flagsOf(testDb)]);
      assert.equal(dryRun.code, 3);
      assert.match(dryRun.stderr, /newer Keyhold/);
      const applied = await runKeyhold(['admin', 'migrate', ...flagsOf(testDb)]);
      assert.equal(applied.code, 3);
      assert.match(
        applied.stderr,
        /Run that newer version, or restore a backup taken before the upgrade/,
      );
    });
  });
}
