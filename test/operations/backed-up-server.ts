import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DialectName } from '../../src/db/database.js';
import { takeBackup } from '../../src/operations/take-backup.js';
import { startTestApp, TestBrowser, type TestApp } from '../server/harness.js';
import { addKey, randomKey, testPassword } from '../server/key-library.js';

/** The passphrase the fixture's backup seals its master key under. */
export const backupPassphrase = 'correct horse battery staple';

export interface BackedUpServer {
  server: TestApp;
  /** A folder of the test's own, removed by `close`. */
  work: string;
  /** A backup of the server (master key sealed) holding one account with three keys. */
  original: string;
  close(): Promise<void>;
}

/** A server with an account and three keys, and a backup of it taken with its master key. */
export async function backedUpServer(kind: DialectName, email: string): Promise<BackedUpServer> {
  const server = await startTestApp(kind);
  const browser = new TestBrowser(server.app);
  await browser.signup(email, testPassword);
  for (let index = 0; index < 3; index += 1) await addKey(browser, randomKey());
  const work = await mkdtemp(join(tmpdir(), 'keyhold-backup-test-'));
  const original = join(work, 'original.keyhold-backup');
  await takeBackup({
    database: server.ctx.database,
    dataDir: server.testDb.dataDir,
    databaseUrl: server.testDb.databaseUrl,
    keyring: server.ctx.keyring,
    out: original,
    passphrase: backupPassphrase,
    now: new Date(),
  });
  return {
    server,
    work,
    original,
    close: async () => {
      await server.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
