import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  createTestDatabase,
  databaseKinds,
  type TestDatabase,
} from '../../test/server/databases.js';
import type { Database } from '../db/database.js';
import { isUniqueViolation } from '../db/errors.js';
import { newId } from '../db/ids.js';
import { migrateToLatest } from '../db/migrate.js';
import { organisationOwner, userOwner } from '../db/owners.js';
import { SecretIntegrityError } from './envelope.js';
import { loadKeyring, parseMasterKeys, type Keyring } from './master-key.js';
import { rotateMasterKey } from './rotation.js';
import { SealedSecrets } from './sealed-secrets.js';

const run = promisify(execFile);

/** Looks like a real one: eight blocks of six digits, each divisible by 11. */
const recoveryPassword = '462770-184327-640057-512864-086702-419331-266904-593428';
const digits = recoveryPassword.replaceAll('-', '');

for (const kind of databaseKinds) {
  describe(`sealed secrets on ${kind.name}`, { skip: kind.skip }, () => {
    let testDb: TestDatabase;
    let database: Database;
    let keyring: Keyring;
    let secrets: SealedSecrets;
    const ada = newId();
    const grace = newId();
    const org = newId();

    before(async () => {
      testDb = await createTestDatabase(kind.name);
      database = testDb.open();
      await migrateToLatest(database);
      keyring = loadKeyring({ dataDir: testDb.dataDir }).keyring;
      secrets = new SealedSecrets(keyring);
      const at = new Date().toISOString();
      for (const [id, name] of [
        [ada, 'ada'],
        [grace, 'grace'],
      ] as const) {
        await database.db
          .insertInto('users')
          .values({
            id,
            email: `${name}@example.org`,
            email_normalized: `${name}@example.org`,
            display_name: name,
            password_hash: 'x',
            password_changed_at: at,
            totp_enabled_at: null,
            totp_last_step: null,
            created_at: at,
            updated_at: at,
          })
          .execute();
      }
      await database.db
        .insertInto('organisations')
        .values({ id: org, name: 'Org', created_at: at, updated_at: at })
        .execute();
    });
    after(async () => {
      await database.close();
      await testDb.cleanup();
    });

    it('stores a recovery password that neither the database file nor a dump reveals', async () => {
      const ref = { kind: 'recovery_password', boundId: newId(), owner: userOwner(ada) };
      await secrets.put(database.db, ref, recoveryPassword);
      assert.equal(await secrets.getText(database.db, ref), recoveryPassword);

      let stored: Buffer;
      if (kind.name === 'sqlite') {
        const files = (await readdir(testDb.dataDir)).filter((f) => f.startsWith('keyhold.db'));
        assert.ok(files.length > 0);
        stored = Buffer.concat(
          await Promise.all(files.map((file) => readFile(join(testDb.dataDir, file)))),
        );
      } else {
        const { stdout } = await run(
          'pg_dump',
          ['--schema', testDb.schema ?? '', process.env.KEYHOLD_TEST_DATABASE_URL ?? ''],
          { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
        );
        stored = stdout;
        assert.ok(stored.includes('sealed_secrets'), 'the dump holds the secrets table');
      }
      assert.equal(stored.includes(digits), false);
      assert.equal(stored.includes(recoveryPassword), false);
      for (const block of recoveryPassword.split('-')) assert.equal(stored.includes(block), false);
    });

    it('does not open a ciphertext copied to another row or moved to another owner', async () => {
      const original = { kind: 'recovery_password', boundId: newId(), owner: userOwner(ada) };
      const other = { kind: 'recovery_password', boundId: newId(), owner: userOwner(ada) };
      await secrets.put(database.db, original, recoveryPassword);
      await secrets.put(
        database.db,
        other,
        '000000-000000-000000-000000-000000-000000-000000-000000',
      );
      const source = await database.db
        .selectFrom('sealed_secrets')
        .select(['wrapped_key', 'ciphertext', 'key_version'])
        .where('bound_id', '=', original.boundId)
        .executeTakeFirstOrThrow();
      await database.db
        .updateTable('sealed_secrets')
        .set(source)
        .where('bound_id', '=', other.boundId)
        .execute();
      await assert.rejects(secrets.get(database.db, other), SecretIntegrityError);

      await database.db
        .updateTable('sealed_secrets')
        .set({ owner_user_id: grace })
        .where('bound_id', '=', original.boundId)
        .execute();
      await assert.rejects(
        secrets.get(database.db, { ...original, owner: userOwner(grace) }),
        SecretIntegrityError,
      );
      // Asking as the old owner finds nothing: the row is no longer theirs.
      assert.equal(await secrets.get(database.db, original), undefined);
    });

    it('answers only for the owner it was sealed for', async () => {
      const ref = { kind: 'recovery_password', boundId: newId(), owner: organisationOwner(org) };
      await secrets.put(database.db, ref, recoveryPassword);
      assert.equal(await secrets.get(database.db, { ...ref, owner: userOwner(ada) }), undefined);
      await assert.rejects(
        secrets.put(database.db, { ...ref, owner: userOwner(grace) }, 'other'),
        /belongs to another owner/,
      );
      await secrets.remove(database.db, { ...ref, owner: userOwner(ada) });
      assert.equal(await secrets.getText(database.db, ref), recoveryPassword);
      await secrets.remove(database.db, ref);
      assert.equal(await secrets.get(database.db, ref), undefined);
    });

    it('creates a secret only once, so racing creators agree on one', async () => {
      const ref = { kind: 'server_test_key', boundId: 'only-one', owner: undefined };
      await secrets.create(database.db, ref, 'first');
      await assert.rejects(secrets.create(database.db, ref, 'second'), isUniqueViolation);
      assert.equal(await secrets.getText(database.db, ref), 'first');
    });

    it('rotates the master key while a running server keeps reading and writing', async () => {
      const keyFile = join(testDb.dataDir, 'master.key');
      const serverKeyring = loadKeyring({ dataDir: testDb.dataDir }).keyring;
      const server = new SealedSecrets(serverKeyring);
      const before = { kind: 'recovery_password', boundId: newId(), owner: userOwner(grace) };
      await server.put(database.db, before, recoveryPassword);
      const adminKeyring = loadKeyring({ dataDir: testDb.dataDir, masterKeyFile: keyFile });

      // The two rows altered by the earlier test (a copied ciphertext, a changed owner) cannot be
      // re-wrapped: they are reported, and the old key stays in the file so nothing is lost.
      const partial = await rotateMasterKey(database.db, adminKeyring.keyring, { settleMs: 10 });
      assert.equal(partial.newVersion, 2);
      assert.equal(partial.damaged.length, 2);
      assert.deepEqual(partial.retiredVersions, []);
      assert.deepEqual(
        parseMasterKeys(await readFile(keyFile, 'utf8'), keyFile).map((k) => k.version),
        [1, 2],
      );
      await database.db.deleteFrom('sealed_secrets').where('id', 'in', partial.damaged).execute();

      const result = await rotateMasterKey(database.db, adminKeyring.keyring, { settleMs: 10 });
      assert.equal(result.newVersion, 3);
      assert.deepEqual(result.retiredVersions, [1, 2]);
      assert.deepEqual(result.damaged, []);
      const versions = await database.db
        .selectFrom('sealed_secrets')
        .select('key_version')
        .distinct()
        .execute();
      assert.deepEqual(versions, [{ key_version: 3 }]);
      assert.deepEqual(
        parseMasterKeys(await readFile(keyFile, 'utf8'), keyFile).map((k) => k.version),
        [3],
      );

      assert.equal(await server.getText(database.db, before), recoveryPassword);
      const after = { kind: 'recovery_password', boundId: newId(), owner: userOwner(grace) };
      await server.put(database.db, after, recoveryPassword);
      const row = await database.db
        .selectFrom('sealed_secrets')
        .select('key_version')
        .where('bound_id', '=', after.boundId)
        .executeTakeFirstOrThrow();
      assert.equal(row.key_version, 3);
    });

    it('refuses to rotate a key given in KEYHOLD_MASTER_KEY, saying what to do', async () => {
      const fromVariable = loadKeyring({
        dataDir: testDb.dataDir,
        masterKey: Buffer.alloc(32, 9).toString('base64'),
      }).keyring;
      await assert.rejects(
        rotateMasterKey(database.db, fromVariable),
        /KEYHOLD_MASTER_KEY.*--master-key-file/s,
      );
    });
  });
}
