import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';
import { totpCode } from '../auth/totp.js';
import type { Organisation, OrganisationPolicies } from '../../../api/orgs.js';

interface PoliciesReply {
  policies: OrganisationPolicies;
}

for (const kind of databaseKinds) {
  describe(`organisation sign-in policies on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let owner: TestBrowser;
    let helpdesk: TestBrowser;
    let member: TestBrowser;
    let orgId = '';

    async function join(browser: TestBrowser, name: string, role: string) {
      const email = uniqueEmail(name);
      await browser.signup(email, testPassword);
      const added = await owner.request('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email, role },
      });
      assert.equal(added.status, 201);
    }

    before(async () => {
      server = await startTestApp(kind.name);
      owner = new TestBrowser(server.app);
      helpdesk = new TestBrowser(server.app);
      member = new TestBrowser(server.app);
      await owner.signup(uniqueEmail('owner'), testPassword);
      const created = await owner.request<{ organisation: Organisation }>('POST', '/api/v1/orgs', {
        body: { name: 'Fjord Kraft' },
      });
      orgId = created.body.organisation.id;
      await join(helpdesk, 'helpdesk', 'helpdesk');
      await join(member, 'member', 'member');
    });
    after(() => server.close());

    it('reads the defaults: no second factor asked, the server’s step-up window', async () => {
      const read = await member.request<PoliciesReply>('GET', `/api/v1/orgs/${orgId}/policies`);
      assert.deepEqual(read.body.policies.requireSecondFactorFor, []);
      assert.equal(read.body.policies.stepUpMinutes, null);
    });

    it('keeps the library from listed roles without a second factor until they enrol one', async () => {
      const changed = await owner.request<PoliciesReply>(
        'PATCH',
        `/api/v1/orgs/${orgId}/policies`,
        {
          body: { requireSecondFactorFor: ['helpdesk', 'owner', 'admin'] },
        },
      );
      assert.deepEqual(changed.body.policies.requireSecondFactorFor, [
        'owner',
        'admin',
        'helpdesk',
      ]);
      assert.equal(changed.body.policies.selfServiceReveal, true);

      const refused = await helpdesk.request<ErrorReply>('GET', `/api/v1/orgs/${orgId}/keys`);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'second_factor_required');
      assert.match(refused.body.error.message, /Fjord Kraft asks owners, admins and its helpdesk/);
      assert.match(refused.body.error.message, /under Security/);
      const inNorwegian = await helpdesk.request<ErrorReply>('GET', `/api/v1/orgs/${orgId}/keys`, {
        headers: { 'accept-language': 'nb-NO' },
      });
      assert.match(inNorwegian.body.error.message, /under Sikkerhet/);
      // Members are not named by the policy.
      assert.equal((await member.request('GET', `/api/v1/orgs/${orgId}/keys`)).status, 200);

      const enrol = await helpdesk.request<{ secret: string }>('POST', '/api/v1/auth/totp/enrol', {
        body: { password: testPassword },
      });
      const confirmed = await helpdesk.request('POST', '/api/v1/auth/totp/confirm', {
        body: { totp: totpCode(enrol.body.secret, server.clock.now()) },
      });
      assert.equal(confirmed.status, 200);
      assert.equal((await helpdesk.request('GET', `/api/v1/orgs/${orgId}/keys`)).status, 200);

      const ownerRefused = await owner.request<ErrorReply>('POST', `/api/v1/orgs/${orgId}/keys`, {
        body: randomKey({ deviceName: 'FJORD-PC-1' }),
      });
      assert.equal(ownerRefused.body.error.code, 'second_factor_required');
      await owner.request('PATCH', `/api/v1/orgs/${orgId}/policies`, {
        body: { requireSecondFactorFor: [] },
      });
    });

    it('asks for step-up after the organisation’s own window', async () => {
      const refused = await member.request<ErrorReply>('PATCH', `/api/v1/orgs/${orgId}/policies`, {
        body: { stepUpMinutes: 5 },
      });
      assert.equal(refused.status, 403);
      const tooLong = await owner.request<ErrorReply>('PATCH', `/api/v1/orgs/${orgId}/policies`, {
        body: { stepUpMinutes: 2000 },
      });
      assert.equal(tooLong.status, 400);
      assert.match(JSON.stringify(tooLong.body), /at most 1440 minutes/);
      const changed = await owner.request<PoliciesReply>(
        'PATCH',
        `/api/v1/orgs/${orgId}/policies`,
        {
          body: { stepUpMinutes: 5 },
        },
      );
      assert.equal(changed.body.policies.stepUpMinutes, 5);

      const added = await owner.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys`,
        {
          body: randomKey({ deviceName: 'FJORD-PC-2' }),
        },
      );
      const revealPath = `/api/v1/orgs/${orgId}/keys/${added.body.key.id}/reveal`;
      server.clock.advance(6 * 60_000);
      const stale = await helpdesk.request<ErrorReply>('POST', revealPath, {
        body: { reason: 'hardware-repair' },
      });
      assert.equal(stale.status, 403);
      assert.equal(stale.body.error.code, 'step_up_required');

      await owner.request('PATCH', `/api/v1/orgs/${orgId}/policies`, {
        body: { stepUpMinutes: 60 },
      });
      const withinHour = await helpdesk.request('POST', revealPath, {
        body: { reason: 'hardware-repair' },
      });
      assert.equal(withinHour.status, 200);
    });
  });
}
