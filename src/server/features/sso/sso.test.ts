import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import { signInAtProvider, TestIdentityProvider } from '../../../../test/support/oidc-idp.js';
import { SoftwareAuthenticator } from '../../../../test/support/software-authenticator.js';
import type { Account, Identified, SignInResult } from '../../../api/auth.js';
import type { OrganisationAuditPage } from '../../../api/audit.js';
import type { ErrorBody } from '../../../api/errors.js';
import type { Organisation } from '../../../api/orgs.js';
import type { SsoSettings, SsoSignedIn } from '../../../api/sso.js';

/** What `inject` requests look like to the server: plain HTTP on localhost. */
const redirectUri = 'http://localhost/sign-in/sso';
const password = 'violet tractor umbrella';
const idpPassword = 'correct horse at the provider';

for (const kind of databaseKinds) {
  describe(`organisation sign-in on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let idp: TestIdentityProvider;
    let owner: TestBrowser;
    let orgId = '';

    const settings = (overrides: Record<string, unknown> = {}) => ({
      issuer: idp.issuer,
      clientId: idp.clientId,
      enabled: true,
      requireSso: false,
      defaultRole: 'member',
      groupsClaim: 'groups',
      groupRoles: { 'it-helpdesk': 'helpdesk', 'it-admins': 'admin' },
      ...overrides,
    });

    /** Identify, sign in at the provider, and hand its answer to Keyhold, as the web app does. */
    async function signInThroughProvider(browser: TestBrowser, email: string) {
      const parameters = await providerAnswer(browser, email);
      return browser.request<SsoSignedIn & ErrorBody>('POST', '/api/v1/auth/sso/callback', {
        body: { parameters },
      });
    }

    async function providerAnswer(browser: TestBrowser, email: string, atProvider = email) {
      const identified = await browser.request<Identified>('POST', '/api/v1/auth/identify', {
        body: { email, next: '/keys' },
      });
      assert.equal(identified.status, 200);
      assert.ok(identified.body.sso, `${email} should go to the organisation's provider`);
      return signInAtProvider(identified.body.sso.redirectTo, atProvider, idpPassword);
    }

    before(async () => {
      server = await startTestApp(kind.name);
      idp = await TestIdentityProvider.start([redirectUri]);
      for (const [email, name, groups] of [
        ['kari@acme.example', 'Kari Nordmann', undefined],
        ['ola@acme.example', 'Ola Helpdesk', ['staff', 'it-helpdesk']],
        ['per@acme.example', 'Per Parallel', undefined],
        ['stranger@elsewhere.example', 'Stranger', undefined],
        ['late@acme.example', 'Late Larsen', undefined],
        ['una@acme.example', 'Una Userinfo', ['it-admins']],
      ] as const) {
        idp.addPerson({
          email,
          name,
          password: idpPassword,
          ...(groups ? { groups: [...groups] } : {}),
        });
      }
      owner = new TestBrowser(server.app);
      await owner.signup('owner@acme.example', password, 'Olive Owner');
      const created = await owner.request<{ organisation: Organisation }>('POST', '/api/v1/orgs', {
        body: { name: 'Acme IT' },
      });
      orgId = created.body.organisation.id;
    });
    after(async () => {
      await server.close();
      await idp.close();
    });

    it('lets owners alone set the provider, and never gives the client secret back', async () => {
      const first = await owner.request<ErrorBody>('PUT', `/api/v1/orgs/${orgId}/sign-in`, {
        body: settings(),
      });
      assert.equal(first.status, 400);
      assert.match(first.body.error.message, /client secret/);

      const saved = await owner.request<{ sso: SsoSettings }>(
        'PUT',
        `/api/v1/orgs/${orgId}/sign-in`,
        {
          body: settings({ clientSecret: idp.clientSecret }),
        },
      );
      assert.equal(saved.status, 200);
      assert.equal(saved.body.sso.clientSecretSet, true);
      assert.equal(saved.body.sso.clientId, idp.clientId);
      const read = await owner.request('GET', `/api/v1/orgs/${orgId}/sign-in`);
      assert.ok(!JSON.stringify(read.body).includes(idp.clientSecret));
      assert.ok(!JSON.stringify(saved.body).includes(idp.clientSecret));
      const audit = await owner.request('GET', '/api/v1/audit');
      assert.ok(!JSON.stringify(audit.body).includes(idp.clientSecret));

      const admin = new TestBrowser(server.app);
      await admin.signup('admin@acme.example', password, 'Adam Admin');
      await owner.request('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email: 'admin@acme.example', role: 'admin' },
      });
      const byAdmin = await admin.request<ErrorBody>('GET', `/api/v1/orgs/${orgId}/sign-in`);
      assert.equal(byAdmin.status, 403);
      assert.match(byAdmin.body.error.message, /Only an owner/);
      const outsider = new TestBrowser(server.app);
      await outsider.signup('outsider@other.example', password);
      const byOutsider = await outsider.request('GET', `/api/v1/orgs/${orgId}/sign-in`);
      assert.equal(byOutsider.status, 404);
    });

    it('sends nobody to the provider until an owner verified the domain, which one organisation holds', async () => {
      const claimed = await owner.request<{ sso: SsoSettings }>(
        'POST',
        `/api/v1/orgs/${orgId}/sign-in/domains`,
        { body: { domain: 'ACME.example' } },
      );
      assert.equal(claimed.status, 201);
      assert.deepEqual(claimed.body.sso.domains, [
        { domain: 'acme.example', verified: false, verifiedAt: null },
      ]);
      const browser = new TestBrowser(server.app);
      const unverified = await browser.request<Identified>('POST', '/api/v1/auth/identify', {
        body: { email: 'kari@acme.example' },
      });
      assert.deepEqual(unverified.body.methods, ['password']);
      assert.equal(unverified.body.sso, undefined);

      const rival = new TestBrowser(server.app);
      await rival.signup('rival@rival.example', password);
      const rivalOrg = await rival.request<{ organisation: Organisation }>('POST', '/api/v1/orgs', {
        body: { name: 'Rival' },
      });
      const stolen = await rival.request<ErrorBody>(
        'POST',
        `/api/v1/orgs/${rivalOrg.body.organisation.id}/sign-in/domains`,
        { body: { domain: 'acme.example' } },
      );
      assert.equal(stolen.status, 409);
      assert.match(stolen.body.error.message, /already claimed/);
      const shared = await rival.request<ErrorBody>(
        'POST',
        `/api/v1/orgs/${rivalOrg.body.organisation.id}/sign-in/domains`,
        { body: { domain: 'gmail.com' } },
      );
      assert.equal(shared.status, 400);
      assert.match(shared.body.error.message, /anyone can sign up to/);

      const verified = await owner.request<{ sso: SsoSettings }>(
        'POST',
        `/api/v1/orgs/${orgId}/sign-in/domains/acme.example/verify`,
      );
      assert.equal(verified.body.sso.domains[0]?.verified, true);
      const now = await browser.request<Identified>('POST', '/api/v1/auth/identify', {
        body: { email: 'kari@acme.example' },
      });
      assert.deepEqual(now.body.methods, ['sso', 'password']);
      assert.equal(now.body.sso?.organisationName, 'Acme IT');
      const authorization = new URL(now.body.sso.redirectTo);
      assert.equal(authorization.origin, idp.issuer);
      assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
      assert.ok(authorization.searchParams.get('state'));
      assert.ok(authorization.searchParams.get('nonce'));
    });

    it('creates the account and membership on a first sign-in, alongside the browser’s other accounts', async () => {
      const browser = new TestBrowser(server.app);
      await browser.signup('kari.private@home.example', password, 'Kari at home');
      const signedIn = await signInThroughProvider(browser, 'kari@acme.example');
      assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
      assert.equal(signedIn.body.account.email, 'kari@acme.example');
      assert.equal(signedIn.body.account.displayName, 'Kari Nordmann');
      assert.equal(signedIn.body.next, '/keys');
      const accounts = await browser.request<{ accounts: { email: string; signedIn: boolean }[] }>(
        'GET',
        '/api/v1/auth/accounts',
      );
      assert.deepEqual(accounts.body.accounts.map((a) => [a.email, a.signedIn]).sort(), [
        ['kari.private@home.example', true],
        ['kari@acme.example', true],
      ]);
      const orgs = await browser.request<{ organisations: Organisation[] }>('GET', '/api/v1/orgs', {
        account: signedIn.body.account.id,
      });
      assert.deepEqual(
        orgs.body.organisations.map((o) => [o.name, o.role]),
        [['Acme IT', 'member']],
      );
      const library = await browser.request('GET', `/api/v1/orgs/${orgId}/keys`, {
        account: signedIn.body.account.id,
      });
      assert.equal(library.status, 200);

      // The second time the same account comes back, not a new one.
      const again = await signInThroughProvider(new TestBrowser(server.app), 'kari@acme.example');
      assert.equal(again.body.account.id, signedIn.body.account.id);
    });

    it('gives the role the groups map to, and follows the groups at later sign-ins', async () => {
      const roleAfterSignin = async (groups: string[]) => {
        idp.addPerson({
          email: 'ola@acme.example',
          name: 'Ola Helpdesk',
          password: idpPassword,
          groups,
        });
        const browser = new TestBrowser(server.app);
        const signedIn = await signInThroughProvider(browser, 'ola@acme.example');
        assert.equal(signedIn.status, 200);
        const orgs = await browser.request<{ organisations: Organisation[] }>(
          'GET',
          '/api/v1/orgs',
        );
        return orgs.body.organisations[0]?.role;
      };
      assert.equal(await roleAfterSignin(['staff', 'it-helpdesk']), 'helpdesk');
      // The most able mapped role wins.
      assert.equal(await roleAfterSignin(['it-helpdesk', 'it-admins']), 'admin');
      // No mapped group left: back to the default role.
      assert.equal(await roleAfterSignin(['staff']), 'member');
      assert.equal(await roleAfterSignin(['staff', 'it-helpdesk']), 'helpdesk');
    });

    it('gives an account the provider created no password: a fresh sign-in stands in for it', async () => {
      const browser = new TestBrowser(server.app);
      const signedIn = await signInThroughProvider(browser, 'kari@acme.example');
      assert.equal(signedIn.status, 200);
      const me = await browser.request<{ account: Account }>('GET', '/api/v1/auth/me');
      assert.equal(me.body.account.hasPassword, false);
      // No password signs it in, not even the one used at the provider.
      for (const guess of [idpPassword, '']) {
        const refused = await new TestBrowser(server.app).signin('kari@acme.example', guess);
        assert.notEqual(refused.status, 200);
      }

      // Right after signing in through the provider, it adds a passkey without a password.
      const authenticator = new SoftwareAuthenticator('http://localhost:80');
      const registration = await browser.request<{
        options: Parameters<typeof authenticator.create>[0];
      }>('POST', '/api/v1/auth/passkeys/registration-options', { body: {} });
      assert.equal(registration.status, 200, JSON.stringify(registration.body));
      const added = await browser.request('POST', '/api/v1/auth/passkeys', {
        body: { name: 'Work laptop', response: authenticator.create(registration.body.options) },
      });
      assert.equal(added.status, 201);

      // Later, the same request asks for a new sign-in, in the reader's language.
      server.clock.advance(6 * 60_000);
      for (const [path, language, wording] of [
        ['/api/v1/auth/passkeys/registration-options', 'en', /has no password\. Sign in again/],
        ['/api/v1/auth/totp/enrol', 'nb', /har ikke noe passord\. Logg på igjen/],
      ] as const) {
        const stale = await browser.request<ErrorBody>('POST', path, {
          body: {},
          headers: { 'accept-language': language },
        });
        assert.equal(stale.status, 403);
        assert.equal(stale.body.error.code, 'fresh_signin_required');
        assert.match(stale.body.error.message, wording);
      }
      // An account with a password still has to type it.
      const withPassword = await owner.request<ErrorBody>('POST', '/api/v1/auth/totp/enrol', {
        body: {},
      });
      assert.equal(withPassword.status, 400);
      assert.match(withPassword.body.error.message, /Enter your password/);

      // Signed in afresh, it may set a password of its own (the organisation allows passwords).
      const again = new TestBrowser(server.app);
      assert.equal((await signInThroughProvider(again, 'kari@acme.example')).status, 200);
      const newPassword = 'kari picks a long password';
      const set = await again.request('POST', '/api/v1/auth/password', { body: { newPassword } });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const meNow = await again.request<{ account: Account }>('GET', '/api/v1/auth/me');
      assert.equal(meNow.body.account.hasPassword, true);
      const byPassword = await new TestBrowser(server.app).signin('kari@acme.example', newPassword);
      // The password is right; the passkey added above is the second step.
      assert.equal((byPassword.body as unknown as SignInResult).status, 'second_factor_required');
    });

    it('takes the email, name and groups from userinfo when the ID token leaves them out', async () => {
      const browser = new TestBrowser(server.app);
      let idTokensWithout = 0;
      try {
        idp.changeIdToken = (claims) => {
          assert.equal(claims.email, 'una@acme.example', 'the provider put the email in');
          assert.deepEqual(claims.groups, ['it-admins']);
          idTokensWithout += 1;
          const leftOut = ['email', 'email_verified', 'name', 'groups'];
          return Object.fromEntries(
            Object.entries(claims).filter(([claim]) => !leftOut.includes(claim)),
          );
        };
        const signedIn = await signInThroughProvider(browser, 'una@acme.example');
        assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
        assert.equal(signedIn.body.account.email, 'una@acme.example');
        assert.equal(signedIn.body.account.displayName, 'Una Userinfo');
      } finally {
        idp.changeIdToken = undefined;
      }
      assert.equal(idTokensWithout, 1);
      const orgs = await browser.request<{ organisations: Organisation[] }>('GET', '/api/v1/orgs');
      assert.deepEqual(
        orgs.body.organisations.map((o) => [o.name, o.role]),
        [['Acme IT', 'admin']],
      );
    });

    it('refuses an answer with a state this browser did not start, or one used already', async () => {
      const browser = new TestBrowser(server.app);
      const parameters = await providerAnswer(browser, 'kari@acme.example');
      const forged = new URLSearchParams(parameters);
      forged.set('state', 'not-the-state-keyhold-sent');
      const bad = await browser.request<ErrorBody>('POST', '/api/v1/auth/sso/callback', {
        body: { parameters: forged.toString() },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'sso_state_invalid');
      assert.match(bad.body.error.message, /not started in this browser/);

      const elsewhere = new TestBrowser(server.app);
      const stolen = await elsewhere.request<ErrorBody>('POST', '/api/v1/auth/sso/callback', {
        body: { parameters },
      });
      assert.equal(stolen.body.error.code, 'sso_state_invalid');

      const good = await browser.request('POST', '/api/v1/auth/sso/callback', {
        body: { parameters },
      });
      assert.equal(good.status, 200);
      const replay = await browser.request<ErrorBody>('POST', '/api/v1/auth/sso/callback', {
        body: { parameters },
        headers: { 'accept-language': 'nb' },
      });
      assert.equal(replay.body.error.code, 'sso_state_invalid');
      assert.match(replay.body.error.message, /Begynn på nytt/);
    });

    it('refuses an ID token with another nonce or audience', async () => {
      const browser = new TestBrowser(server.app);
      try {
        idp.changeIdToken = (claims) => ({ ...claims, nonce: 'a-nonce-of-another-sign-in' });
        const wrongNonce = await signInThroughProvider(browser, 'kari@acme.example');
        assert.equal(wrongNonce.status, 400);
        assert.equal(wrongNonce.body.error.code, 'sso_nonce_mismatch');
        assert.match(wrongNonce.body.error.message, /nonce does not match/);

        idp.changeIdToken = (claims) => ({ ...claims, aud: 'another-application' });
        const wrongAudience = await signInThroughProvider(browser, 'kari@acme.example');
        assert.equal(wrongAudience.status, 400);
        assert.equal(wrongAudience.body.error.code, 'sso_audience_mismatch');
        assert.match(wrongAudience.body.error.message, /client ID/);
      } finally {
        idp.changeIdToken = undefined;
      }
      const accounts = await browser.request<{ accounts: unknown[] }>(
        'GET',
        '/api/v1/auth/accounts',
      );
      assert.deepEqual(accounts.body.accounts, []);
    });

    it('refuses a code the provider let expire', async () => {
      const browser = new TestBrowser(server.app);
      idp.codeTtlSeconds = 1;
      let parameters: string;
      try {
        parameters = await providerAnswer(browser, 'kari@acme.example');
      } finally {
        idp.codeTtlSeconds = 60;
      }
      await sleep(2_100);
      const expired = await browser.request<ErrorBody>('POST', '/api/v1/auth/sso/callback', {
        body: { parameters },
      });
      assert.equal(expired.status, 400);
      assert.equal(expired.body.error.code, 'sso_code_rejected');
      assert.match(expired.body.error.message, /expired or was already used/);
    });

    it('refuses an address on a domain the organisation has not verified', async () => {
      const browser = new TestBrowser(server.app);
      const parameters = await providerAnswer(
        browser,
        'kari@acme.example',
        'stranger@elsewhere.example',
      );
      const refused = await browser.request<ErrorBody>('POST', '/api/v1/auth/sso/callback', {
        body: { parameters },
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'sso_domain_not_verified');
      assert.match(
        refused.body.error.message,
        /elsewhere\.example is not a verified email domain of Acme IT/,
      );
    });

    it('refuses a sign-in that comes back after the provider was turned off', async () => {
      const browser = new TestBrowser(server.app);
      const parameters = await providerAnswer(browser, 'late@acme.example');
      await owner.request('PUT', `/api/v1/orgs/${orgId}/sign-in`, {
        body: settings({ enabled: false }),
      });
      try {
        const refused = await browser.request<ErrorBody>('POST', '/api/v1/auth/sso/callback', {
          body: { parameters },
        });
        assert.equal(refused.status, 403);
        assert.equal(refused.body.error.code, 'sso_disabled');
        assert.match(refused.body.error.message, /turned off/);
        const identified = await browser.request<Identified>('POST', '/api/v1/auth/identify', {
          body: { email: 'late@acme.example' },
        });
        assert.deepEqual(identified.body.methods, ['password']);
      } finally {
        await owner.request('PUT', `/api/v1/orgs/${orgId}/sign-in`, { body: settings() });
      }
    });

    it('takes one answer once, whatever number arrive together', async () => {
      const browser = new TestBrowser(server.app);
      const parameters = await providerAnswer(browser, 'per@acme.example');
      const answers = await Promise.all(
        Array.from({ length: 200 }, () =>
          browser.request<ErrorBody>('POST', '/api/v1/auth/sso/callback', { body: { parameters } }),
        ),
      );
      const statuses = answers.map((answer) => answer.status);
      assert.equal(statuses.filter((status) => status === 200).length, 1);
      assert.equal(statuses.filter((status) => status === 400).length, 199);
      assert.ok(
        answers.every((a) => a.status === 200 || a.body.error.code === 'sso_state_invalid'),
      );
    });

    it('stops password, passkey-alone and pending second-step sign-in for the domain when the provider is required', async () => {
      // Before the rule: the owner adds a passkey and starts a sign-in that waits for it.
      const authenticator = new SoftwareAuthenticator('http://localhost:80');
      const registration = await owner.request<{
        options: Parameters<typeof authenticator.create>[0];
      }>('POST', '/api/v1/auth/passkeys/registration-options', { body: { password } });
      const added = await owner.request('POST', '/api/v1/auth/passkeys', {
        body: { name: 'Owner laptop', response: authenticator.create(registration.body.options) },
      });
      assert.equal(added.status, 201);
      const waiting = new TestBrowser(server.app);
      const firstStep = (await waiting.signin('owner@acme.example', password))
        .body as unknown as SignInResult;
      assert.equal(firstStep.status, 'second_factor_required');
      const { challenge } = firstStep;
      const secondStepOptions = await waiting.request<{
        options: Parameters<typeof authenticator.get>[0];
      }>('POST', '/api/v1/auth/signin/passkey-options', { body: { challenge } });

      await owner.request('PUT', `/api/v1/orgs/${orgId}/sign-in`, {
        body: settings({ requireSso: true }),
      });
      const browser = new TestBrowser(server.app);
      const identified = await browser.request<Identified>('POST', '/api/v1/auth/identify', {
        body: { email: 'owner@acme.example' },
      });
      assert.deepEqual(identified.body.methods, ['sso']);
      const byPassword = await browser.signin('owner@acme.example', password);
      assert.equal(byPassword.status, 403);
      const body = byPassword.body as unknown as ErrorBody;
      assert.equal(body.error.code, 'sso_required');
      assert.match(
        body.error.message,
        /Acme IT signs in its people through its own sign-in service\. Enter your email and choose Next/,
      );
      const signup = await browser.request<ErrorBody>('POST', '/api/v1/auth/signup', {
        body: { email: 'new@acme.example', password, displayName: 'New' },
      });
      assert.equal(signup.body.error.code, 'sso_required');

      // A valid passkey alone is refused, and told where to go, in the reader's language.
      const passkeyOptions = await browser.request<{
        options: Parameters<typeof authenticator.get>[0];
      }>('POST', '/api/v1/auth/signin/passkey-options', { body: {} });
      const byPasskey = await browser.request<ErrorBody>('POST', '/api/v1/auth/signin/passkey', {
        body: { response: authenticator.get(passkeyOptions.body.options) },
        headers: { 'accept-language': 'nb' },
      });
      assert.equal(byPasskey.status, 403);
      assert.equal(byPasskey.body.error.code, 'sso_required');
      assert.match(
        byPasskey.body.error.message,
        /Acme IT logger på sine folk gjennom sin egen påloggingstjeneste\. Skriv inn e-postadressen din og velg Neste/,
      );
      // The second step begun before the rule cannot finish either.
      const bySecondStep = await waiting.request<ErrorBody>(
        'POST',
        '/api/v1/auth/signin/second-factor',
        {
          body: { challenge, passkey: authenticator.get(secondStepOptions.body.options) },
        },
      );
      assert.equal(bySecondStep.status, 403);
      assert.equal(bySecondStep.body.error.code, 'sso_required');
      for (const refusedBrowser of [browser, waiting]) {
        const accounts = await refusedBrowser.request<{ accounts: unknown[] }>(
          'GET',
          '/api/v1/auth/accounts',
        );
        assert.deepEqual(accounts.body.accounts, []);
      }
      const audit = await owner.request<OrganisationAuditPage>(
        'GET',
        `/api/v1/orgs/${orgId}/audit?action=signin_failed`,
      );
      assert.deepEqual(
        audit.body.events
          .filter((event) => event.details.reason === 'sso_required')
          .map((event) => [event.subject?.email, event.details.method])
          .sort(),
        [
          ['owner@acme.example', 'passkey'],
          ['owner@acme.example', 'passkey'],
        ],
      );

      // Other domains are untouched.
      assert.equal((await browser.signin('outsider@other.example', password)).status, 200);
    });
  });
}
