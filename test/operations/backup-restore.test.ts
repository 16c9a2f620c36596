import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { buildApp } from '../../src/server/app.js';
import { loadConfig } from '../../src/server/config.js';
import { createServerContext } from '../../src/server/context.js';
import { databaseKinds } from '../server/databases.js';
import { startTestApp, testArgon2, TestBrowser, type TestApp } from '../server/harness.js';
import { addKey, randomKey, revealKey, type KeyPageReply } from '../server/key-library.js';
import { runKeyhold } from '../support/cli.js';

const password = 'violet tractor umbrella';
const passphrase = 'correct horse battery staple';

async function allKeyIds(browser: TestBrowser): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: KeyPageReply } = await browser.request<KeyPageReply>(
      'GET',
      `/api/v1/keys?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    ids.push(...page.body.items.map((key) => key.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  return ids;
}

async function revealAll(browser: TestBrowser): Promise<Map<string, string>> {
  const revealed = new Map<string, string>();
  for (const id of await allKeyIds(browser)) {
    const answer = await revealKey(browser, id);
    assert.equal(answer.status, 200);
    revealed.set(id, answer.body.recoveryPassword);
  }
  return revealed;
}

for (const kind of databaseKinds) {
  describe(`backup and restore on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let dataFlags: string[];
    let work: string;
    let backupFile: string;
    let passphraseFile: string;
    const email = `backup-${kind.name}@example.org`;

    before(async () => {
      server = await startTestApp(kind.name);
      work = await mkdtemp(join(tmpdir(), 'keyhold-backups-'));
      backupFile = join(work, 'nightly.keyhold-backup');
      passphraseFile = join(work, 'passphrase');
      await writeFile(passphraseFile, `${passphrase}\n`, { mode: 0o600 });
      dataFlags = ['--data-dir', server.testDb.dataDir];
      if (server.testDb.databaseUrl) dataFlags.push('--database-url', server.testDb.databaseUrl);
    });
    after(async () => {
      await server.close();
      await rm(work, { recursive: true, force: true });
    });

    it('backs up a server under write load; the restore holds every key and the audit chain', async () => {
      const browser = new TestBrowser(server.app);
      await browser.signup(email, password);
      for (let index = 0; index < 20; index += 1) await addKey(browser, randomKey());

      const writing = { on: true };
      const load = (async () => {
        let added = 0;
        while (writing.on) {
          await addKey(browser, randomKey());
          added += 1;
        }
        return added;
      })();
      const backup = await runKeyhold([
        'admin',
        'backup',
        ...dataFlags,
        '--out',
        backupFile,
        '--with-master-key',
        '--passphrase-file',
        passphraseFile,
        '--json',
      ]);
      writing.on = false;
      const addedDuringBackup = await load;
      assert.equal(backup.code, 0, backup.stderr);
      assert.ok(addedDuringBackup > 0, 'keys were added while the backup ran');
      const { manifest } = JSON.parse(backup.stdout) as {
        manifest: { counts: Record<string, number>; auditHead: { seq: number; hash: string } };
      };

      const original = await revealAll(browser);
      const originalChain = await server.ctx.db
        .selectFrom('audit_events')
        .select(['seq', 'hash'])
        .orderBy('seq')
        .execute();

      const verified = await runKeyhold([
        'admin',
        'verify-backup',
        backupFile,
        '--passphrase-file',
        passphraseFile,
        ...(kind.name === 'postgres'
          ? ['--scratch-database-url', process.env.KEYHOLD_TEST_DATABASE_URL ?? '']
          : []),
      ]);
      assert.equal(verified.code, 0, verified.stderr);
      assert.match(verified.stdout, /can be restored/);
      assert.match(verified.stdout, /sealed secrets open with the master key/);
      if (kind.name === 'postgres') {
        const archiveOnly = await runKeyhold(
          ['admin', 'verify-backup', backupFile, '--passphrase-file', passphraseFile],
          { env: { ...process.env, KEYHOLD_LANG: 'nb' } },
        );
        assert.equal(archiveOnly.code, 0, archiveOnly.stderr);
        assert.match(archiveOnly.stdout, /ikke kontrollert: om de forseglede hemmelighetene/);
        assert.match(archiveOnly.stdout, /legg til --scratch-database-url/);
      }

      const restoredDir = join(work, 'restored');
      const restoreFlags = ['--data-dir', restoredDir];
      if (kind.name === 'postgres') {
        // Elsewhere: the backup's schema is gone from the database before it comes back.
        await server.close();
        const client = new pg.Client({ connectionString: process.env.KEYHOLD_TEST_DATABASE_URL });
        await client.connect();
        // Dropped and made again empty, as a new database's `public` schema is.
        await client.query(`drop schema ${server.testDb.schema ?? ''} cascade`);
        await client.query(`create schema ${server.testDb.schema ?? ''}`);
        await client.end();
        restoreFlags.push('--database-url', server.testDb.databaseUrl ?? '');
      }
      const restored = await runKeyhold([
        'admin',
        'restore',
        backupFile,
        ...restoreFlags,
        '--passphrase-file',
        passphraseFile,
      ]);
      assert.equal(restored.code, 0, restored.stderr);

      const config = loadConfig(
        {
          dataDir: restoredDir,
          databaseUrl: server.testDb.databaseUrl,
          logLevel: 'silent',
          ...testArgon2,
        },
        {},
      );
      const ctx = await createServerContext(config);
      const app = await buildApp({ config, context: ctx });
      try {
        const reader = new TestBrowser(app);
        assert.equal((await reader.signin(email, password)).status, 200);
        const copy = await revealAll(reader);
        assert.equal(copy.size, manifest.counts.recovery_keys);
        assert.ok(copy.size >= 20 && copy.size <= original.size);
        for (const [id, recoveryPassword] of copy) assert.equal(original.get(id), recoveryPassword);

        const chain = await ctx.db
          .selectFrom('audit_events')
          .select(['seq', 'hash'])
          .orderBy('seq')
          .execute();
        assert.ok(chain.length >= manifest.auditHead.seq);
        // The events up to the backup's head are the original's, link for link.
        assert.deepEqual(
          chain.slice(0, manifest.auditHead.seq),
          originalChain.slice(0, manifest.auditHead.seq),
        );
        assert.equal(chain[manifest.auditHead.seq - 1]?.hash, manifest.auditHead.hash);
        assert.equal((await ctx.audit.verify(ctx.db)).problem, undefined);
      } finally {
        await app.close();
        await ctx.close();
      }
    });

    it('refuses a backup that was changed, cut short or restored with the wrong key', async () => {
      const bytes = await readFile(backupFile);
      const damaged = join(work, 'damaged.keyhold-backup');
      const flipped = Buffer.from(bytes);
      const middle = Math.floor(flipped.length / 2);
      flipped[middle] = (flipped[middle] ?? 0) ^ 0xff;
      await writeFile(damaged, flipped);
      const changed = await runKeyhold([
        'admin',
        'verify-backup',
        damaged,
        '--passphrase-file',
        passphraseFile,
      ]);
      assert.equal(changed.code, 1);
      assert.match(changed.stderr, /is damaged: its SHA-256 checksum does not match/);

      const cut = join(work, 'cut.keyhold-backup');
      await writeFile(cut, bytes);
      await truncate(cut, bytes.length - 4096);
      const truncated = await runKeyhold([
        'admin',
        'restore',
        cut,
        '--data-dir',
        join(work, 'never'),
        '--passphrase-file',
        passphraseFile,
      ]);
      assert.equal(truncated.code, 1);
      assert.match(truncated.stderr, /is truncated: it holds \d+ bytes, the backup needs \d+/);

      const wrongPassphrase = join(work, 'wrong');
      await writeFile(wrongPassphrase, 'not the passphrase at all');
      const refused = await runKeyhold([
        'admin',
        'verify-backup',
        backupFile,
        '--passphrase-file',
        wrongPassphrase,
      ]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /the passphrase does not open the master key/);

      const otherKey = join(work, 'other.key');
      await writeFile(otherKey, `1:${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
      const wrongKey = await runKeyhold(
        ['admin', 'verify-backup', backupFile, '--master-key-file', otherKey],
        {
          env: { LANG: 'nb_NO.UTF-8' },
        },
      );
      assert.equal(wrongKey.code, 1);
      assert.match(
        wrongKey.stderr,
        /er ikke den hemmelighetene i denne sikkerhetskopien ble forseglet med/,
      );

      if (kind.name === 'postgres') {
        const noPgDump = await runKeyhold(
          [
            'admin',
            'backup',
            // The server's own folder went with it; the restored one has the same key.
            '--data-dir',
            join(work, 'restored'),
            '--database-url',
            server.testDb.databaseUrl ?? '',
            '--out',
            join(work, 'never.keyhold-backup'),
          ],
          { env: { PATH: '/nonexistent' } },
        );
        assert.equal(noPgDump.code, 1);
        assert.match(
          noPgDump.stderr,
          /pg_dump is not on the PATH[^]*back it up with: pg_dump --format=custom --schema=keyhold_test_/,
        );
      }

      const notEmpty = await runKeyhold([
        'admin',
        'restore',
        backupFile,
        '--data-dir',
        work,
        '--passphrase-file',
        passphraseFile,
      ]);
      assert.equal(notEmpty.code, 1);
      assert.match(
        notEmpty.stderr,
        kind.name === 'sqlite'
          ? /is not empty: a backup is only restored into an empty folder/
          : /is of a PostgreSQL database: give --database-url of an empty database/,
      );
    });
  });
}
