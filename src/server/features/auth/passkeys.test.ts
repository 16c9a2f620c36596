import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { policies } from '../../credential-limits.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import { testPassword, uniqueEmail } from '../../../../test/server/key-library.js';
import { SoftwareAuthenticator } from '../../../../test/support/software-authenticator.js';
import { requireRecentSignin } from './index.js';
import type { SessionCaller } from '../../caller.js';
import type { PasskeyList } from '../../../api/auth.js';

/** What `inject` requests look like to the server: plain HTTP on localhost. */
const origin = 'http://localhost:80';

interface OptionsReply {
  options: {
    challenge: string;
    rp: { id: string };
    user: { id: string };
    rpId?: string;
    allowCredentials?: { id: string }[];
  };
}
type PasskeysReply = PasskeyList;
interface SignedInReply {
  status: string;
  account: { id: string; email: string };
  challenge?: string;
  methods?: string[];
}
interface ErrorReply {
  error: { code: string; message: string };
}

for (const kind of databaseKinds) {
  describe(`passkeys on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    async function personWithPasskey(name = 'Laptop') {
      const browser = new TestBrowser(server.app);
      const email = uniqueEmail('passkey');
      const signedUp = await browser.signup(email, testPassword);
      const accountId = signedUp;
      const authenticator = new SoftwareAuthenticator(origin);
      const options = await browser.request<OptionsReply>(
        'POST',
        '/api/v1/auth/passkeys/registration-options',
        { body: { password: testPassword } },
      );
      assert.equal(options.status, 200);
      const added = await browser.request<{ passkey: { id: string; name: string } }>(
        'POST',
        '/api/v1/auth/passkeys',
        { body: { name, response: authenticator.create(options.body.options) } },
      );
      assert.equal(added.status, 201, JSON.stringify(added.body));
      return { browser, email, accountId, authenticator, passkeyId: added.body.passkey.id };
    }

    it('adds a passkey only with the password, then lists, renames and removes it', async () => {
      const browser = new TestBrowser(server.app);
      await browser.signup(uniqueEmail('manage'), testPassword);
      const refused = await browser.request<ErrorReply>(
        'POST',
        '/api/v1/auth/passkeys/registration-options',
        { body: { password: 'not the password at all' } },
      );
      assert.equal(refused.status, 401);

      const { browser: owner, passkeyId } = await personWithPasskey('Work laptop');
      const listed = await owner.request<PasskeysReply>('GET', '/api/v1/auth/passkeys');
      assert.deepEqual(
        listed.body.passkeys.map((p) => p.name),
        ['Work laptop'],
      );
      const renamed = await owner.request<{ passkey: { name: string } }>(
        'PATCH',
        `/api/v1/auth/passkeys/${passkeyId}`,
        { body: { name: 'Security key' } },
      );
      assert.equal(renamed.body.passkey.name, 'Security key');
      // Another account cannot see, rename or remove it.
      const stranger = new TestBrowser(server.app);
      await stranger.signup(uniqueEmail('stranger'), testPassword);
      assert.deepEqual(
        (await stranger.request<PasskeysReply>('GET', '/api/v1/auth/passkeys')).body.passkeys,
        [],
      );
      assert.equal(
        (await stranger.request('DELETE', `/api/v1/auth/passkeys/${passkeyId}`)).status,
        404,
      );
      assert.equal(
        (await owner.request('DELETE', `/api/v1/auth/passkeys/${passkeyId}`)).status,
        204,
      );
      assert.deepEqual(
        (await owner.request<PasskeysReply>('GET', '/api/v1/auth/passkeys')).body.passkeys,
        [],
      );
    });

    it('signs in without a password in another browser, and an assertion works only once', async () => {
      const { authenticator, accountId } = await personWithPasskey();
      const elsewhere = new TestBrowser(server.app);
      const options = await elsewhere.request<OptionsReply>(
        'POST',
        '/api/v1/auth/signin/passkey-options',
        { body: {} },
      );
      assert.deepEqual(options.body.options.allowCredentials ?? [], []);
      const assertion = authenticator.get(options.body.options);
      const signedIn = await elsewhere.request<SignedInReply>(
        'POST',
        '/api/v1/auth/signin/passkey',
        { body: { response: assertion } },
      );
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      assert.equal(signedIn.body.account.id, accountId);
      assert.equal((await elsewhere.request('GET', '/api/v1/auth/me')).status, 200);

      const replay = await new TestBrowser(server.app).request<ErrorReply>(
        'POST',
        '/api/v1/auth/signin/passkey',
        { body: { response: assertion } },
      );
      assert.equal(replay.status, 401);
      assert.equal(replay.body.error.code, 'invalid_credentials');
    });

    it('refuses an assertion made for another site, or without user verification', async () => {
      const { authenticator } = await personWithPasskey();
      const browser = new TestBrowser(server.app);
      const options = await browser.request<OptionsReply>(
        'POST',
        '/api/v1/auth/signin/passkey-options',
        { body: {} },
      );
      const phished = await browser.request<ErrorReply>('POST', '/api/v1/auth/signin/passkey', {
        body: {
          response: authenticator.get(options.body.options, { origin: 'https://keyhold.evil' }),
        },
        headers: { 'accept-language': 'nb' },
      });
      assert.equal(phished.status, 401);
      assert.match(phished.body.error.message, /passnøkkel/i);

      authenticator.verifiesUser = false;
      const again = await browser.request<OptionsReply>(
        'POST',
        '/api/v1/auth/signin/passkey-options',
        { body: {} },
      );
      const unverified = await browser.request<ErrorReply>('POST', '/api/v1/auth/signin/passkey', {
        body: { response: authenticator.get(again.body.options) },
      });
      assert.equal(unverified.status, 401);
    });

    it('asks for the passkey as the second factor after the password', async () => {
      const { authenticator, email, accountId } = await personWithPasskey();
      const browser = new TestBrowser(server.app);
      const first = await browser.signin(email, testPassword);
      const step = first.body as SignedInReply;
      assert.equal(step.status, 'second_factor_required');
      assert.deepEqual(step.methods, ['passkey']);
      const options = await browser.request<OptionsReply>(
        'POST',
        '/api/v1/auth/signin/passkey-options',
        { body: { challenge: step.challenge } },
      );
      assert.equal(options.body.options.allowCredentials?.length, 1);
      const done = await browser.request<SignedInReply>(
        'POST',
        '/api/v1/auth/signin/second-factor',
        { body: { challenge: step.challenge, passkey: authenticator.get(options.body.options) } },
      );
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.account.id, accountId);
    });

    it("opens the vault with a passkey, and not with another account's", async () => {
      const { browser, authenticator } = await personWithPasskey();
      const other = await personWithPasskey();
      const options = await browser.request<OptionsReply>(
        'POST',
        '/api/v1/auth/passkeys/presence-options',
      );
      assert.equal(options.status, 200);
      const wrongKey = await browser.request<ErrorReply>('POST', '/api/v1/vault/unlock', {
        body: {
          passkey: other.authenticator.get({ ...options.body.options, allowCredentials: [] }),
        },
      });
      assert.equal(wrongKey.status, 401);
      const fresh = await browser.request<OptionsReply>(
        'POST',
        '/api/v1/auth/passkeys/presence-options',
      );
      const unlocked = await browser.request<{ locked: boolean }>('POST', '/api/v1/vault/unlock', {
        body: { passkey: authenticator.get(fresh.body.options) },
      });
      assert.equal(unlocked.status, 200, JSON.stringify(unlocked.body));
      assert.equal(unlocked.body.locked, false);
    });

    it('takes one passkey answer once, as the second step or at the vault, however many copies arrive together', async () => {
      const { browser: owner, authenticator, email } = await personWithPasskey();
      const tally = (statuses: number[]) =>
        JSON.stringify(
          Object.fromEntries(statuses.map((s) => [s, statuses.filter((t) => t === s).length])),
        );

      const browser = new TestBrowser(server.app);
      const step = (await browser.signin(email, testPassword)).body as SignedInReply;
      const options = await browser.request<OptionsReply>(
        'POST',
        '/api/v1/auth/signin/passkey-options',
        { body: { challenge: step.challenge } },
      );
      const secondStep = {
        challenge: step.challenge,
        passkey: authenticator.get(options.body.options),
      };
      const signins = (
        await Promise.all(
          Array.from({ length: 200 }, () =>
            browser.request('POST', '/api/v1/auth/signin/second-factor', { body: secondStep }),
          ),
        )
      ).map((reply) => reply.status);
      assert.equal(signins.filter((status) => status === 200).length, 1, tally(signins));
      assert.ok(
        signins.every((status) => [200, 400, 401, 429].includes(status)),
        tally(signins),
      );

      const presence = await owner.request<OptionsReply>(
        'POST',
        '/api/v1/auth/passkeys/presence-options',
      );
      const unlock = { passkey: authenticator.get(presence.body.options) };
      const unlocks = (
        await Promise.all(
          Array.from({ length: 200 }, () =>
            owner.request('POST', '/api/v1/vault/unlock', { body: unlock }),
          ),
        )
      ).map((reply) => reply.status);
      assert.equal(unlocks.filter((status) => status === 200).length, 1, tally(unlocks));
      assert.ok(
        unlocks.every((status) => [200, 401, 429].includes(status)),
        tally(unlocks),
      );
    });

    it('a burst of 200 forged passkey sign-ins gets no more looks than the allowance', async () => {
      const { authenticator, browser: owner } = await personWithPasskey();
      const forger = new SoftwareAuthenticator(origin);
      forger.create({ challenge: 'x', rp: { id: 'localhost' }, user: { id: 'forged' } });
      const attacker = new TestBrowser(server.app);
      const victimId = authenticator.credentials[0]?.id.toString('base64url') ?? '';
      const forged = () => {
        const signed = forger.get({
          challenge: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          rpId: 'localhost',
        });
        return { ...signed, id: victimId, rawId: victimId };
      };
      const options = await attacker.request<OptionsReply>(
        'POST',
        '/api/v1/auth/signin/passkey-options',
        { body: {} },
      );
      const genuine = authenticator.get(options.body.options);
      const responses = await Promise.all([
        ...Array.from({ length: 199 }, () =>
          attacker.request('POST', '/api/v1/auth/signin/passkey', {
            body: { response: forged() },
          }),
        ),
        attacker.request('POST', '/api/v1/auth/signin/passkey', { body: { response: genuine } }),
      ]);
      const tally = new Map<number, number>();
      for (const { status } of responses) tally.set(status, (tally.get(status) ?? 0) + 1);
      assert.deepEqual(
        [...tally.keys()].filter((status) => status !== 401 && status !== 429),
        [],
        JSON.stringify([...tally]),
      );
      assert.ok((tally.get(401) ?? 0) <= policies.account.free, JSON.stringify([...tally]));
      const activity = await owner.request<{ events: { action: string }[] }>(
        'GET',
        '/api/v1/audit?limit=200',
      );
      const failures = activity.body.events.filter((e) => e.action === 'signin_failed').length;
      assert.ok(failures <= policies.account.free, `${failures} forged assertions were evaluated`);
    });

    it('step-up: an organisation key reveal long after sign-in needs presence again', async () => {
      const browser = new TestBrowser(server.app);
      const signedUp = await browser.signup(uniqueEmail('stepup'), testPassword);
      const sessions = await browser.request<{ sessions: { id: string; current: boolean }[] }>(
        'GET',
        '/api/v1/auth/sessions',
      );
      const sessionId = sessions.body.sessions.find((s) => s.current)?.id ?? '';
      const caller: SessionCaller = {
        kind: 'session',
        accountId: signedUp,
        sessionId,
        browserId: 'unused',
        memberships: new Map(),
        ipAddress: browser.ipAddress,
        userAgent: null,
      };
      await requireRecentSignin(server.ctx, caller);
      server.clock.advance(16 * 60_000);
      await assert.rejects(requireRecentSignin(server.ctx, caller), { code: 'step_up_required' });
      // A proof of presence a minute ago (the vault opened) counts as fresh.
      const minuteAgo = new Date(server.clock.now().getTime() - 60_000).toISOString();
      await requireRecentSignin(server.ctx, caller, minuteAgo);
    });
  });
}
