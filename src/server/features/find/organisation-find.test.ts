import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FindAnswer } from '../../../api/find.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  randomKey,
  testPassword,
  uniqueEmail,
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';
import { startOrganisation, type TestOrganisation } from '../../../../test/server/organisation.js';

for (const kind of databaseKinds) {
  describe(`find my key in organisation libraries on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let org: TestOrganisation;
    let key: KeySummaryReply;
    let recoveryPassword = '';
    let bystander: TestBrowser;

    before(async () => {
      server = await startTestApp(kind.name);
      org = await startOrganisation(server, 'Acme IT');
      const body = randomKey({ deviceName: 'ACME-PC-0042' });
      recoveryPassword = body.recoveryPassword;
      const added = await org.people.admin.browser.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/orgs/${org.orgId}/keys`,
        { body: { ...body, assigneeEmail: org.people.member.email } },
      );
      key = added.body.key;
      bystander = new TestBrowser(server.app);
      const bystanderEmail = uniqueEmail('bystander');
      await bystander.signup(bystanderEmail, testPassword);
      await org.people.owner.browser.request('POST', `/api/v1/orgs/${org.orgId}/members`, {
        body: { email: bystanderEmail, role: 'member' },
      });
    });
    after(() => server.close());

    async function find(browser: TestBrowser): Promise<FindAnswer> {
      const answer = await browser.request<FindAnswer>(
        'GET',
        `/api/v1/find?keyId=${key.shortId.toLowerCase()}`,
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.ok(!JSON.stringify(answer.body).includes(recoveryPassword), 'a password leaked');
      return answer.body;
    }

    it('tells the helpdesk which organisation and device hold the key, without revealing it', async () => {
      for (const role of ['helpdesk', 'admin', 'owner'] as const) {
        const answer = await find(org.people[role].browser);
        assert.deepEqual(answer.matches, [], 'not in their own library');
        assert.equal(answer.organisations.length, 1);
        const [found] = answer.organisations;
        assert.ok(found);
        assert.equal(found.organisationName, 'Acme IT');
        assert.equal(found.organisationId, org.orgId);
        assert.equal(found.role, role);
        assert.equal(found.accountId, org.people[role].id);
        assert.deepEqual(
          found.keys.map((k) => [k.id, k.protectorId, k.deviceName, k.volume.label]),
          [[key.id, key.protectorId, 'ACME-PC-0042', 'C:']],
        );
      }
    });

    it("finds a member's own device while self-service allows it, and nobody else's", async () => {
      const own = await find(org.people.member.browser);
      assert.deepEqual(
        own.organisations.flatMap((o) => o.keys.map((k) => k.id)),
        [key.id],
      );
      assert.deepEqual((await find(bystander)).organisations, []);
      assert.deepEqual((await find(org.people.auditor.browser)).organisations, []);
      const outsider = new TestBrowser(server.app);
      await outsider.signup(uniqueEmail('outsider'), testPassword);
      assert.deepEqual((await find(outsider)).organisations, []);

      await org.people.admin.browser.request('PATCH', `/api/v1/orgs/${org.orgId}/policies`, {
        body: { selfServiceReveal: false },
      });
      assert.deepEqual((await find(org.people.member.browser)).organisations, []);
      assert.equal((await find(org.people.helpdesk.browser)).organisations.length, 1);
      await org.people.admin.browser.request('PATCH', `/api/v1/orgs/${org.orgId}/policies`, {
        body: { selfServiceReveal: true },
      });
    });

    it('shows that a revealed key needs rotation, and leaves out keys in the bin', async () => {
      await org.people.helpdesk.browser.request(
        'POST',
        `/api/v1/orgs/${org.orgId}/keys/${key.id}/reveal`,
        { body: { reason: 'pin-forgotten' } },
      );
      const after = await find(org.people.helpdesk.browser);
      assert.equal(after.organisations[0]?.keys[0]?.rotationRequired, true);
      await org.people.admin.browser.request('DELETE', `/api/v1/orgs/${org.orgId}/keys/${key.id}`, {
        body: { confirmSaved: true },
      });
      assert.deepEqual((await find(org.people.helpdesk.browser)).organisations, []);
      await org.people.admin.browser.request(
        'POST',
        `/api/v1/orgs/${org.orgId}/keys/${key.id}/restore`,
      );
    });
  });
}
