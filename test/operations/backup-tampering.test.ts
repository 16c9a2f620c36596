import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import {
  extractPayload,
  openBackupFile,
  writeBackupFile,
  type BackupManifest,
} from '../../src/operations/backup-file.js';
import { OperationError } from '../../src/operations/messages.js';
import { verifyBackup } from '../../src/operations/restore-backup.js';
import {
  backedUpServer,
  backupPassphrase as passphrase,
  type BackedUpServer,
} from './backed-up-server.js';

/**
 * Someone who can write to the backup store changes the backup and writes fresh checksums, as
 * they could: what is inside must still be refused, with the inconsistency named.
 */
describe('a backup changed and given fresh checksums', () => {
  let fixture: BackedUpServer;
  let work: string;
  let original: string;
  let counter = 0;

  before(async () => {
    fixture = await backedUpServer('sqlite', 'tamper@example.org');
    ({ work, original } = fixture);
  });
  after(() => fixture.close());

  async function rewritten(change: {
    manifest?: (m: BackupManifest) => void;
    database?: (db: SqliteDatabase.Database) => void;
  }): Promise<string> {
    counter += 1;
    const backup = await openBackupFile(original);
    const payload = join(work, `payload-${counter}`);
    await extractPayload(backup, payload);
    if (change.database) {
      const db = new SqliteDatabase(payload);
      change.database(db);
      db.close();
    }
    const manifest = structuredClone(backup.manifest);
    change.manifest?.(manifest);
    const out = join(work, `changed-${counter}.keyhold-backup`);
    await writeBackupFile(out, manifest, payload);
    return out;
  }

  async function refusal(file: string): Promise<string> {
    try {
      await verifyBackup(file, { passphrase: () => Promise.resolve(passphrase) });
    } catch (error) {
      assert.ok(error instanceof OperationError, String(error));
      return error.message;
    }
    return assert.fail('the changed backup was accepted');
  }

  it('accepts the backup as written', async () => {
    const check = await verifyBackup(original, { passphrase: () => Promise.resolve(passphrase) });
    assert.equal(check.manifest.counts.recovery_keys, 3);
  });

  it('names a row count that differs from the manifest', async () => {
    const file = await rewritten({
      manifest: (m) => {
        m.counts.recovery_keys = 2;
      },
    });
    assert.match(
      await refusal(file),
      /counts 2 rows in recovery_keys, the database inside holds 3/,
    );
  });

  it('names a broken audit chain', async () => {
    const file = await rewritten({
      database: (db) =>
        db.prepare("update audit_events set action = 'auth.signin' where seq = 1").run(),
    });
    assert.match(await refusal(file), /the audit chain in the backup is broken/);
  });

  it('names a sealed secret that no longer opens', async () => {
    let secretId = '';
    const file = await rewritten({
      database: (db) => {
        const row = db
          .prepare(
            "select id, ciphertext from sealed_secrets where kind = 'recovery_password' limit 1",
          )
          .get() as { id: string; ciphertext: Buffer };
        secretId = row.id;
        row.ciphertext[row.ciphertext.length - 1] = (row.ciphertext.at(-1) ?? 0) ^ 1;
        db.prepare('update sealed_secrets set ciphertext = ? where id = ?').run(
          row.ciphertext,
          row.id,
        );
      },
    });
    assert.match(
      await refusal(file),
      new RegExp(`secret ${secretId} \\(recovery_password\\) in the backup does not open`),
    );
  });

  it('refuses a backup from a newer schema', async () => {
    const file = await rewritten({
      manifest: (m) => {
        m.database.migrations.push('2099-01-01-from-a-newer-release');
      },
    });
    assert.match(await refusal(file), /newer Keyhold \(migration 2099-01-01-from-a-newer-release/);
  });

  it('refuses a sealed key whose manifest asks for a key derivation that would never end', async () => {
    const file = await rewritten({
      manifest: (m) => {
        if (m.masterKey.sealed) m.masterKey.sealed.cost = 2 ** 30;
      },
    });
    assert.match(await refusal(file), /the passphrase does not open the master key/);
  });
});
