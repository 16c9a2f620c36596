import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it, type TestContext } from 'node:test';
import { sql } from 'kysely';
import { writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { sqliteFileName } from '../../src/db/database.js';
import { purgeExpiredKeys } from '../../src/server/features/keys/retention.js';
import { databaseKinds } from '../server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../server/harness.js';
import {
  addKey,
  randomKey,
  testPassword,
  uniqueEmail,
  type NewKey,
} from '../server/key-library.js';

const day = 86_400_000;

interface SealedBytes {
  wrapped_key: Buffer;
  ciphertext: Buffer;
}

/**
 * Whether `haystack` holds any of the sealed values: each starts with its random IV and GCM tag
 * (28 bytes no other data shares) and ends with the last bytes of the encrypted text.
 */
function holdsAny(haystack: Buffer, sealed: SealedBytes[]): boolean {
  return sealed.some((row) =>
    [row.wrapped_key, row.ciphertext].some(
      (value) => haystack.includes(value.subarray(0, 28)) || haystack.includes(value.subarray(-16)),
    ),
  );
}

/** keyhold.db and the files SQLite keeps beside it (-wal, -shm). */
async function sqliteFiles(dataDir: string): Promise<Buffer> {
  const names = (await readdir(dataDir)).filter((name) => name.startsWith(sqliteFileName));
  return Buffer.concat(await Promise.all(names.map((name) => readFile(join(dataDir, name)))));
}

/**
 * The files PostgreSQL keeps the sealed secrets in (the table and its TOAST table), after a
 * CHECKPOINT has written every changed page; undefined when this process may not read them.
 */
async function postgresFiles(
  server: TestApp,
): Promise<{ bytes: Buffer; paths: string[] } | string> {
  const { rows } = await sql<{ dir: string; main: string; toast: string | null }>`
    select current_setting('data_directory') as dir,
           pg_relation_filepath('sealed_secrets') as main,
           pg_relation_filepath(nullif(c.reltoastrelid, 0)) as toast
    from pg_class c where c.oid = 'sealed_secrets'::regclass`.execute(server.ctx.db);
  const row = rows[0];
  if (!row) throw new Error('sealed_secrets has no pg_class row');
  await sql`checkpoint`.execute(server.ctx.db);
  const paths = [row.main, row.toast]
    .filter((path): path is string => path !== null)
    .map((path) => join(row.dir, path));
  try {
    return { bytes: Buffer.concat(await Promise.all(paths.map((path) => readFile(path)))), paths };
  } catch (error) {
    return `PostgreSQL's data files cannot be read here (${(error as Error).message}); run the suite as the postgres user or root on the database's machine`;
  }
}

for (const kind of databaseKinds) {
  describe(`a purged key (${kind.name})`, { skip: kind.skip }, () => {
    let server: TestApp | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    /**
     * A library where one key is deleted, with its uploaded recovery file, alone on its device;
     * another deleted key shares its device with a kept key; a third key and its file stay.
     */
    async function libraryWithDeletedKeys() {
      server = await startTestApp(kind.name, { flags: { deletedKeyRetentionDays: 30 } });
      const app = server;
      const browser = new TestBrowser(app.app);
      const email = uniqueEmail('purge');
      await browser.signup(email, testPassword);
      const tag = randomBytes(4).toString('hex').toUpperCase();
      const lone: NewKey = randomKey({ deviceName: `PURGE-${tag}` });
      const gone = await addKey(browser, lone);
      const sharedGone = await addKey(
        browser,
        randomKey({ deviceName: `SHARED-${tag}`, volume: { label: 'D:', type: 'fixed' } }),
      );
      const sharedKept = await addKey(
        browser,
        randomKey({ deviceName: `SHARED-${tag}`, volume: { label: 'E:', type: 'fixed' } }),
      );
      const keptKey = randomKey({ deviceName: `KEEP-${tag}` });
      const kept = await addKey(browser, keptKey);
      const upload = async (key: NewKey) => {
        const file = writeRecoveryKeyFile(key);
        const reply = await browser.request<{ fileId: string }>('POST', '/api/v1/keys/import', {
          body: { filename: file.fileName, contentBase64: file.bytes.toString('base64') },
        });
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        return reply.body.fileId;
      };
      const goneFile = await upload(lone);
      const keptFile = await upload(keptKey);
      const sealed = await app.ctx.db
        .selectFrom('sealed_secrets')
        .select(['wrapped_key', 'ciphertext'])
        .where('bound_id', 'in', [gone.id, sharedGone.id, goneFile])
        .execute();
      assert.equal(sealed.length, 3);
      for (const key of [gone, sharedGone]) {
        const deleted = await browser.request('DELETE', `/api/v1/keys/${key.id}`, {
          body: { confirmSaved: true },
        });
        assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
      }
      app.clock.advance(31 * day);
      // Sessions end after 14 idle days.
      assert.equal((await browser.signin(email, testPassword)).status, 200);
      return { app, browser, tag, gone, sharedGone, sharedKept, kept, goneFile, keptFile, sealed };
    }

    it('takes its uploaded file, its volume and a device left empty with it', async () => {
      const { app, browser, tag, gone, sharedGone, sharedKept, kept, goneFile, keptFile } =
        await libraryWithDeletedKeys();
      assert.equal(await purgeExpiredKeys(app.ctx), 2);

      const files = await browser.request<{ items: { id: string }[] }>('GET', '/api/v1/files');
      assert.deepEqual(
        files.body.items.map((file) => file.id),
        [keptFile],
      );
      const download = await browser.request('GET', `/api/v1/files/${goneFile}/download`);
      assert.equal(download.status, 404);
      const secrets = await app.ctx.db
        .selectFrom('sealed_secrets')
        .select('bound_id')
        .where('bound_id', 'in', [gone.id, sharedGone.id, goneFile, kept.id, keptFile])
        .execute();
      assert.deepEqual(secrets.map((row) => row.bound_id).sort(), [kept.id, keptFile].sort());

      const devices = await app.ctx.db
        .selectFrom('devices')
        .select(['id', 'name'])
        .where('name', 'in', [`PURGE-${tag}`, `SHARED-${tag}`, `KEEP-${tag}`])
        .execute();
      assert.deepEqual(devices.map((device) => device.name).sort(), [
        `KEEP-${tag}`,
        `SHARED-${tag}`,
      ]);
      const terms = await app.ctx.db
        .selectFrom('device_terms')
        .select('term')
        .where('term', 'like', `%${tag.toLowerCase()}%`)
        .execute();
      assert.ok(terms.length > 0, 'the kept devices are still searchable');
      assert.ok(
        terms.every((row) => !row.term.includes('purge')),
        `no name term of the emptied device stays: ${terms.map((row) => row.term).join(', ')}`,
      );
      const volumes = await app.ctx.db
        .selectFrom('volumes as v')
        .innerJoin('devices as d', 'd.id', 'v.device_id')
        .select(['d.name', 'v.label'])
        .where('d.name', 'in', [`PURGE-${tag}`, `SHARED-${tag}`])
        .execute();
      assert.deepEqual(
        volumes.map((volume) => `${volume.name} ${volume.label}`),
        [`SHARED-${tag} E:`],
      );
      const search = await browser.request<{ items: { id: string }[] }>(
        'GET',
        `/api/v1/keys?q=${encodeURIComponent(`shared-${tag}`)}`,
      );
      assert.deepEqual(
        search.body.items.map((key) => key.id),
        [sharedKept.id],
      );
    });

    if (kind.name === 'sqlite') {
      it('leaves none of its sealed bytes in keyhold.db or its WAL', async () => {
        const { app, sealed } = await libraryWithDeletedKeys();
        const dataDir = app.testDb.dataDir;
        assert.ok(holdsAny(await sqliteFiles(dataDir), sealed), 'the search finds them before');
        assert.equal(await purgeExpiredKeys(app.ctx), 2);
        assert.equal(holdsAny(await sqliteFiles(dataDir), sealed), false);
      });
    } else {
      it('leaves none of its sealed bytes in the table files', async (t: TestContext) => {
        const { app, sealed } = await libraryWithDeletedKeys();
        const before = await postgresFiles(app);
        if (typeof before === 'string') {
          t.skip(before);
          return;
        }
        assert.ok(holdsAny(before.bytes, sealed), 'the search finds them before');
        assert.equal(await purgeExpiredKeys(app.ctx), 2);
        const after = await postgresFiles(app);
        if (typeof after === 'string') throw new Error(after);
        assert.equal(holdsAny(after.bytes, sealed), false);
        // The files the table had before are emptied when the rewrite commits.
        for (const path of before.paths.filter((path) => !after.paths.includes(path))) {
          const left = await readFile(path).catch(() => Buffer.alloc(0));
          assert.equal(holdsAny(left, sealed), false, `${path} still holds them`);
        }
      });
    }
  });
}
