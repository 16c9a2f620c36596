import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { databaseKinds } from '../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../test/server/harness.js';
import { runKeyhold } from '../../../test/support/cli.js';
import { parseMasterKeys } from '../../crypto/master-key.js';
import { totpCode } from '../../server/features/auth/totp.js';

const password = 'violet tractor umbrella';

for (const kind of databaseKinds) {
  describe(`keyhold admin on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let dataFlags: string[];
    let totpSecret = '';
    const email = 'operator@example.org';

    before(async () => {
      server = await startTestApp(kind.name);
      dataFlags = ['--data-dir', server.testDb.dataDir];
      if (server.testDb.databaseUrl) dataFlags.push('--database-url', server.testDb.databaseUrl);
      const browser = new TestBrowser(server.app);
      await browser.signup(email, password, 'Operator');
      const enrol = await browser.request<{ secret: string }>('POST', '/api/v1/auth/totp/enrol', {
        body: { password },
      });
      totpSecret = enrol.body.secret;
      await browser.request('POST', '/api/v1/auth/totp/confirm', {
        body: { totp: totpCode(totpSecret, server.clock.now()) },
      });
    });
    after(() => server.close());

    it('migrate reports an up-to-date schema', async () => {
      const result = await runKeyhold(['admin', 'migrate', ...dataFlags, '--json']);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual((JSON.parse(result.stdout) as { applied: string[] }).applied, []);
      const norsk = await runKeyhold(['admin', 'migrate', ...dataFlags], {
        env: { KEYHOLD_LANG: 'nb' },
      });
      assert.equal(norsk.code, 0, norsk.stderr);
      assert.match(norsk.stdout, /: skjemaet er oppdatert\.\n$/);
    });

    it('create-org makes an existing account the owner, and refuses unknown emails', async () => {
      const created = await runKeyhold([
        'admin',
        'create-org',
        '--name',
        'Acme IT',
        '--owner',
        'OPERATOR@example.org',
        ...dataFlags,
      ]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^Created Acme IT \([0-9a-f-]{36}\) with operator@example.org/);
      const memberships = await server.ctx.db
        .selectFrom('memberships')
        .innerJoin('organisations', 'organisations.id', 'memberships.organisation_id')
        .select(['organisations.name', 'memberships.role'])
        .execute();
      assert.deepEqual(memberships, [{ name: 'Acme IT', role: 'owner' }]);

      const unknown = await runKeyhold([
        'admin',
        'create-org',
        '--name',
        'Nobody Inc',
        '--owner',
        'nobody@example.org',
        ...dataFlags,
      ]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no account uses nobody@example.org\. Sign up/);
      const norsk = await runKeyhold(
        [
          'admin',
          'create-org',
          '--name',
          'Nobody Inc',
          '--owner',
          'nobody@example.org',
          ...dataFlags,
        ],
        { env: { KEYHOLD_LANG: 'nb' } },
      );
      assert.equal(norsk.code, 2);
      assert.match(
        norsk.stderr,
        /ingen konto bruker nobody@example\.org\. Registrer deg med den e-postadressen først/,
      );
    });

    it('create-org refuses a name with control characters or a text-direction override', async () => {
      for (const name of ['Acme\u001b[2J IT', 'Acme \u202eTI']) {
        const refused = await runKeyhold([
          'admin',
          'create-org',
          '--name',
          name,
          '--owner',
          email,
          ...dataFlags,
        ]);
        assert.equal(refused.code, 2, refused.stderr);
        assert.match(refused.stderr, /--name holds control characters or text-direction overrides/);
      }
      const names = await server.ctx.db.selectFrom('organisations').select('name').execute();
      assert.ok(
        names.every(({ name }) => name === 'Acme IT'),
        JSON.stringify(names),
      );
    });

    it('verify-audit passes an intact chain and names the first edited or deleted event', async () => {
      const intact = await runKeyhold(['admin', 'verify-audit', ...dataFlags]);
      assert.equal(intact.code, 0, intact.stderr);
      assert.match(intact.stdout, /^intact: \d+ events, chain head \d+ [0-9a-f]{64}/);
      const norsk = await runKeyhold(['admin', 'verify-audit', ...dataFlags], {
        env: { KEYHOLD_LANG: 'nb' },
      });
      assert.equal(norsk.code, 0, norsk.stderr);
      assert.match(
        norsk.stdout,
        /^intakt: \d+ hendelser, kjedens hode \d+ [0-9a-f]{64}\nTa vare på hodet/,
      );

      const target = await server.ctx.db
        .selectFrom('audit_events')
        .select(['seq', 'details'])
        .where('action', '=', 'signin')
        .executeTakeFirstOrThrow();
      await sql`update audit_events set details = ${'{"method":"forged"}'} where seq = ${target.seq}`.execute(
        server.ctx.db,
      );
      const edited = await runKeyhold(['admin', 'verify-audit', ...dataFlags]);
      assert.equal(edited.code, 1);
      assert.match(
        edited.stdout,
        new RegExp(`^broken: event ${target.seq} \\(signin at .*\\) was changed`),
      );
      await sql`update audit_events set details = ${target.details} where seq = ${target.seq}`.execute(
        server.ctx.db,
      );

      await sql`delete from audit_events where seq = 2`.execute(server.ctx.db);
      const deleted = await runKeyhold(['admin', 'verify-audit', ...dataFlags, '--json']);
      assert.equal(deleted.code, 1);
      const report = JSON.parse(deleted.stdout) as { intact: boolean; problem: string };
      assert.equal(report.intact, false);
      assert.match(report.problem, /^event 2 is missing/);
    });

    it('rotate-master-key re-wraps every secret while the server keeps signing people in', async () => {
      const keyFile = join(server.testDb.dataDir, 'master.key');
      const rotated = await runKeyhold(['admin', 'rotate-master-key', ...dataFlags, '--json']);
      assert.equal(rotated.code, 0, rotated.stderr);
      const result = JSON.parse(rotated.stdout) as { newVersion: number; rewrapped: number };
      assert.equal(result.newVersion, 2);
      // The audit chain key and the TOTP secret.
      assert.equal(result.rewrapped, 2);
      assert.deepEqual(
        parseMasterKeys(await readFile(keyFile, 'utf8'), keyFile).map((k) => k.version),
        [2],
      );

      // The running server reads the TOTP secret, now wrapped by a key it has not seen yet.
      server.clock.advance(60_000);
      const browser = new TestBrowser(server.app);
      const challenge = (await browser.signin(email, password)).body.challenge;
      const signedIn = await browser.request('POST', '/api/v1/auth/signin/second-factor', {
        body: { challenge, totp: totpCode(totpSecret, server.clock.now()) },
      });
      assert.equal(signedIn.status, 200);
    });

    it('refuses to work without the master key instead of making a new one', async () => {
      const result = await runKeyhold([
        'admin',
        'verify-audit',
        '--data-dir',
        join(server.testDb.dataDir, 'elsewhere'),
      ]);
      assert.equal(result.code, 3);
      assert.match(result.stderr, /there is no master key at .*elsewhere\/master.key/);
    });
  });
}
