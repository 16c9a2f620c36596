import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
  type KeyPageReply,
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';
import type {
  ApiToken,
  DeviceCodes as Authorized,
  IssuedToken,
  OAuthErrorBody,
} from '../../../api/device-auth.js';

/** The token endpoint answers a token or an RFC 6749 error. */
type OAuthReply = Partial<IssuedToken> & Partial<OAuthErrorBody>;

const grantType = 'urn:ietf:params:oauth:grant-type:device_code';

for (const kind of databaseKinds) {
  describe(`signing in a device on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    before(async () => {
      server = await startTestApp(kind.name);
    });
    after(() => server.close());

    /** The command-line client: no cookies, its own user agent. */
    function device(): TestBrowser {
      return new TestBrowser(server.app, 'keyhold/0.1.0 (linux; node 20)');
    }

    async function signedIn(): Promise<{ browser: TestBrowser; accountId: string; email: string }> {
      const browser = new TestBrowser(server.app);
      const email = uniqueEmail('ola');
      const accountId = await browser.signup(email, testPassword);
      return { browser, accountId, email };
    }

    async function authorize(client: TestBrowser, name = 'ola-laptop'): Promise<Authorized> {
      const response = await client.request<Authorized>('POST', '/api/v1/device/authorize', {
        body: { client_id: 'keyhold-cli', scope: 'keys', device_name: name },
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body;
    }

    async function poll(client: TestBrowser, deviceCode: string) {
      server.clock.advance(5_000);
      return client.request<OAuthReply>('POST', '/api/v1/device/token', {
        body: { grant_type: grantType, device_code: deviceCode, client_id: 'keyhold-cli' },
      });
    }

    async function connected(): Promise<{
      token: string;
      accountId: string;
      browser: TestBrowser;
    }> {
      const { browser, accountId } = await signedIn();
      const client = device();
      const codes = await authorize(client);
      const approved = await browser.request('POST', '/api/v1/device/approve', {
        body: { userCode: codes.user_code, approve: true },
      });
      assert.equal(approved.status, 200);
      const issued = await poll(client, codes.device_code);
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      return { token: issued.body.access_token ?? '', accountId, browser };
    }

    function bearer(token: string) {
      return { headers: { authorization: `Bearer ${token}` } };
    }

    it('connects a device the signed-in person approves, and issues the token once', async () => {
      const { browser, accountId, email } = await signedIn();
      const client = device();
      const codes = await authorize(client);
      assert.match(codes.user_code, /^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/);
      assert.match(codes.verification_uri, /^http:\/\/localhost(:\d+)?\/connect-device$/);
      assert.equal(
        codes.verification_uri_complete,
        `${codes.verification_uri}?code=${codes.user_code}`,
      );
      assert.equal(codes.expires_in, 600);
      assert.equal(codes.interval, 5);

      const waiting = await poll(client, codes.device_code);
      assert.equal(waiting.status, 400);
      assert.equal(waiting.body.error, 'authorization_pending');

      const typed = codes.user_code.toLowerCase().replace('-', ' ');
      const shown = await browser.request<{ request: Record<string, unknown> }>(
        'POST',
        '/api/v1/device/lookup',
        { body: { userCode: typed } },
      );
      assert.equal(shown.status, 200);
      assert.equal(shown.body.request.deviceName, 'ola-laptop');
      assert.equal(shown.body.request.clientName, 'Keyhold CLI');
      assert.equal(shown.body.request.ipAddress, client.ipAddress);

      const approved = await browser.request('POST', '/api/v1/device/approve', {
        body: { userCode: typed, approve: true },
      });
      assert.deepEqual(approved.body, { status: 'approved' });

      const issued = await poll(client, codes.device_code);
      assert.equal(issued.status, 200);
      assert.equal(issued.headers['cache-control'], 'no-store');
      assert.equal(issued.body.token_type, 'Bearer');
      assert.equal(issued.body.scope, 'keys');
      const token = issued.body.access_token ?? '';
      assert.match(token, /^kh_[A-Za-z0-9_-]{43}$/);

      const again = await poll(client, codes.device_code);
      assert.equal(again.body.error, 'invalid_grant');

      const whoami = await device().request<{ account: { id: string; email: string } }>(
        'GET',
        '/api/v1/device/token',
        bearer(token),
      );
      assert.equal(whoami.status, 200);
      assert.equal(whoami.body.account.id, accountId);
      assert.equal(whoami.body.account.email, email);

      const events = await browser.request<{ events: { action: string }[] }>(
        'GET',
        '/api/v1/audit',
      );
      const actions = events.body.events.map((event) => event.action);
      assert.ok(actions.includes('device_approved'));
      assert.ok(actions.includes('api_token_issued'));
    });

    it('lets the token do key operations as its account, and nothing else', async () => {
      const { token, browser } = await connected();
      const cli = device();
      const key = randomKey();
      const added = await cli.request<{ key: KeySummaryReply }>('POST', '/api/v1/keys', {
        body: key,
        ...bearer(token),
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const listed = await cli.request<KeyPageReply>(
        'GET',
        `/api/v1/keys?q=${key.protectorId.slice(0, 8)}`,
        bearer(token),
      );
      assert.deepEqual(
        listed.body.items.map((item) => item.protectorId),
        [key.protectorId],
      );
      const recorded = await cli.request('POST', `/api/v1/keys/${added.body.key.id}/backups`, {
        body: { destination: 'usb', note: '/media/ola/KEYS' },
        ...bearer(token),
      });
      assert.equal(recorded.status, 201);
      const revealed = await cli.request<{ recoveryPassword: string }>(
        'POST',
        `/api/v1/keys/${added.body.key.id}/reveal`,
        { body: {}, ...bearer(token) },
      );
      assert.equal(revealed.body.recoveryPassword, key.recoveryPassword);
      const inBrowser = await browser.request<KeyPageReply>('GET', '/api/v1/keys');
      assert.deepEqual(
        inBrowser.body.items.map((item) => [item.protectorId, item.source, item.backupCount]),
        [[key.protectorId, 'manual', 2]],
        'the key is in the account that approved the device, with the USB backup recorded',
      );

      const refused: [string, string, unknown?][] = [
        ['GET', '/api/v1/auth/me'],
        ['POST', '/api/v1/auth/password', { currentPassword: testPassword, newPassword: 'x' }],
        ['GET', '/api/v1/auth/sessions'],
        ['GET', '/api/v1/auth/tokens'],
        ['GET', '/api/v1/audit'],
        ['GET', '/api/v1/find?keyId=ABCD1234'],
        ['POST', '/api/v1/keys/export', { format: 'json' }],
        ['DELETE', `/api/v1/keys/${added.body.key.id}`, { confirmSaved: true }],
      ];
      for (const [method, url, body] of refused) {
        const response = await cli.request<ErrorReply>(method as 'GET', url, {
          ...(body === undefined ? {} : { body }),
          ...bearer(token),
        });
        assert.equal(response.status, 403, `${method} ${url}: ${JSON.stringify(response.body)}`);
        assert.match(response.body.error.message, /only works for key operations/);
      }
    });

    it('lists the tokens for the security page and stops one when revoked', async () => {
      const { token, browser } = await connected();
      const listed = await browser.request<{ tokens: ApiToken[] }>('GET', '/api/v1/auth/tokens');
      assert.equal(listed.status, 200);
      const listedToken = listed.body.tokens[0]!;
      assert.equal(listed.body.tokens.length, 1);
      assert.equal(listedToken.name, 'ola-laptop');
      assert.equal(listedToken.client, 'Keyhold CLI');
      assert.ok(
        !JSON.stringify(listed.body).includes(token.slice(3)),
        'the token itself is never listed',
      );

      const revoked = await browser.request('DELETE', `/api/v1/auth/tokens/${listedToken.id}`);
      assert.equal(revoked.status, 204);
      const refused = await device().request<ErrorReply>('GET', '/api/v1/keys', bearer(token));
      assert.equal(refused.status, 401);
      assert.match(refused.body.error.message, /keyhold login again/);
      const gone = await browser.request<{ tokens: unknown[] }>('GET', '/api/v1/auth/tokens');
      assert.deepEqual(gone.body.tokens, []);
    });

    it('ends device tokens with "sign out everywhere" and "sign out other sessions"', async () => {
      const keysWith = async (token: string) =>
        (await device().request('GET', '/api/v1/keys', bearer(token))).status;

      const everywhere = await connected();
      assert.equal(await keysWith(everywhere.token), 200);
      await everywhere.browser.request('POST', '/api/v1/auth/signout', {
        body: { everywhere: true },
      });
      assert.equal(await keysWith(everywhere.token), 401);

      const others = await connected();
      const ended = await others.browser.request<{ revoked: number; tokensRevoked: number }>(
        'DELETE',
        '/api/v1/auth/sessions',
      );
      assert.deepEqual(ended.body, { revoked: 0, tokensRevoked: 1 });
      assert.equal(await keysWith(others.token), 401);
      assert.equal((await others.browser.request('GET', '/api/v1/keys')).status, 200);

      // Signing out of this browser only leaves the devices connected, as the API says.
      const here = await connected();
      await here.browser.request('POST', '/api/v1/auth/signout', { body: {} });
      assert.equal(await keysWith(here.token), 200);
    });

    it('lets a device revoke its own token (keyhold logout)', async () => {
      const { token } = await connected();
      const out = await device().request('DELETE', '/api/v1/device/token', bearer(token));
      assert.equal(out.status, 204);
      const after = await device().request('GET', '/api/v1/device/token', bearer(token));
      assert.equal(after.status, 401);
    });

    it('keeps only hashes of tokens and device codes in the database', async () => {
      const { token } = await connected();
      const rows = await server.ctx.db.selectFrom('api_tokens').selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(token));
      assert.ok(rows.some((row) => row.token_hash.length === 64));
    });

    it('answers slow_down to a device polling too fast, and adds 5 seconds', async () => {
      const client = device();
      const codes = await authorize(client);
      const body = {
        grant_type: grantType,
        device_code: codes.device_code,
        client_id: 'keyhold-cli',
      };
      server.clock.advance(5_000);
      const first = await client.request<OAuthReply>('POST', '/api/v1/device/token', { body });
      assert.equal(first.body.error, 'authorization_pending');
      const hasty = await client.request<OAuthReply>('POST', '/api/v1/device/token', { body });
      assert.equal(hasty.body.error, 'slow_down');
      server.clock.advance(6_000);
      const stillHasty = await client.request<OAuthReply>('POST', '/api/v1/device/token', { body });
      assert.equal(stillHasty.body.error, 'slow_down', 'the interval is now 10 seconds');
      server.clock.advance(15_000);
      const patient = await client.request<OAuthReply>('POST', '/api/v1/device/token', { body });
      assert.equal(patient.body.error, 'authorization_pending');
    });

    it('describes its refusals in the language the device asks for', async () => {
      const client = device();
      const norwegian = { headers: { 'accept-language': 'nb-NO,nb;q=0.9,en;q=0.5' } };
      const codes = await authorize(client);
      const body = { grant_type: grantType, device_code: codes.device_code, client_id: 'x' };
      const describe = async (sent: object, options = {}) => {
        const answer = await client.request<OAuthReply>('POST', '/api/v1/device/token', {
          body: sent,
          ...options,
        });
        return answer.body.error_description;
      };
      assert.equal(await describe(body), 'This device code is not known. Start again.');
      assert.equal(await describe(body, norwegian), 'Denne enhetskoden er ukjent. Begynn på nytt.');
      server.clock.advance(5_000);
      const pending = { ...body, client_id: 'keyhold-cli' };
      assert.equal(await describe(pending, norwegian), 'Venter på at personen godkjenner koden.');
      assert.equal(await describe(pending, norwegian), 'Spør høyst hvert 10. sekund.');
      assert.equal(await describe(pending), 'Poll at most every 15 seconds.');
      // A body its schema refuses is worded too.
      assert.match(
        (await describe({ ...pending, device_code: 7 }, norwegian)) ?? '',
        /^Forespørselen er ikke gyldig: sjekk device_code/,
      );
      const unknownClient = await client.request<OAuthReply>('POST', '/api/v1/device/authorize', {
        body: { client_id: 'someone-else', scope: 'keys' },
        ...norwegian,
      });
      assert.equal(unknownClient.status, 401);
      assert.equal(unknownClient.body.error_description, 'Ukjent klient «someone-else».');
    });

    it('tells a denied device so, and an expired code expired_token', async () => {
      const { browser } = await signedIn();
      const denied = device();
      const deniedCodes = await authorize(denied);
      const answer = await browser.request('POST', '/api/v1/device/approve', {
        body: { userCode: deniedCodes.user_code, approve: false },
      });
      assert.deepEqual(answer.body, { status: 'denied' });
      assert.equal((await poll(denied, deniedCodes.device_code)).body.error, 'access_denied');

      const late = device();
      const lateCodes = await authorize(late);
      server.clock.advance(601_000);
      const tooLate = await browser.request<ErrorReply>('POST', '/api/v1/device/approve', {
        body: { userCode: lateCodes.user_code, approve: true },
      });
      assert.equal(tooLate.status, 404);
      assert.equal((await poll(late, lateCodes.device_code)).body.error, 'expired_token');
    });

    it('speaks OAuth to standard clients: form-encoded bodies and RFC error bodies', async () => {
      const form = await server.app.inject({
        method: 'POST',
        url: '/api/v1/device/authorize',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'client_id=keyhold-cli&scope=keys',
      });
      assert.equal(form.statusCode, 200);
      const codes = form.json<Authorized>();
      server.clock.advance(5_000);
      const polled = await server.app.inject({
        method: 'POST',
        url: '/api/v1/device/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: grantType,
          device_code: codes.device_code,
          client_id: 'keyhold-cli',
        }).toString(),
      });
      assert.equal(polled.statusCode, 400);
      assert.equal(polled.json<OAuthReply>().error, 'authorization_pending');

      const unknownClient = await device().request<OAuthReply>('POST', '/api/v1/device/authorize', {
        body: { client_id: 'someone-else' },
      });
      assert.equal(unknownClient.status, 401);
      assert.equal(unknownClient.body.error, 'invalid_client');
      const wrongScope = await device().request<OAuthReply>('POST', '/api/v1/device/authorize', {
        body: { client_id: 'keyhold-cli', scope: 'admin' },
      });
      assert.equal(wrongScope.body.error, 'invalid_scope');
      const wrongGrant = await device().request<OAuthReply>('POST', '/api/v1/device/token', {
        body: { grant_type: 'password', device_code: 'x', client_id: 'keyhold-cli' },
      });
      assert.equal(wrongGrant.body.error, 'unsupported_grant_type');
    });

    it('knows only its own clients: names inherited by every object are not client ids', async () => {
      for (const clientId of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        const answer = await device().request<OAuthReply>('POST', '/api/v1/device/authorize', {
          body: { client_id: clientId, scope: 'keys', device_name: 'ola-laptop' },
        });
        assert.equal(answer.status, 401, `${clientId}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error, 'invalid_client', clientId);
      }
    });

    it('locks out an account that keeps typing wrong codes', async () => {
      const { browser } = await signedIn();
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 12; attempt++) {
        const response = await browser.request('POST', '/api/v1/device/approve', {
          body: { userCode: 'BBBB-BBBB', approve: true },
        });
        statuses.push(response.status);
      }
      assert.deepEqual(statuses.slice(0, 10), Array<number>(10).fill(404));
      assert.ok(
        statuses.slice(10).every((status) => status === 429),
        statuses.join(','),
      );
    });

    it('refuses the approval endpoints without a signed-in account', async () => {
      const response = await device().request<ErrorReply>('POST', '/api/v1/device/approve', {
        body: { userCode: 'BCDF-GHJK', approve: true },
      });
      assert.equal(response.status, 401);
    });
  });
}
