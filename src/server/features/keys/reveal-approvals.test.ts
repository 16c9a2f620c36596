import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Approval } from '../../../api/approvals.js';
import type { PoliciesAnswer } from '../../../api/orgs.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';

type Policies = PoliciesAnswer['policies'];

for (const kind of databaseKinds) {
  describe(`approving helpdesk reveals on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let orgId = '';
    const people: Record<
      'admin' | 'helpdesk' | 'secondHelpdesk' | 'member' | 'auditor' | 'outsider',
      { browser: TestBrowser; email: string; id: string }
    > = {} as never;

    /** A browser signed in just now, so the step-up for organisation keys is satisfied. */
    async function freshly(who: keyof typeof people): Promise<TestBrowser> {
      const browser = new TestBrowser(server.app);
      const signedIn = await browser.signin(people[who].email, testPassword);
      assert.equal(signedIn.status, 200);
      people[who].browser = browser;
      return browser;
    }

    async function organisationKey(deviceName: string) {
      const key = randomKey({ deviceName });
      const added = await people.admin.browser.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys`,
        { body: { ...key, assigneeEmail: people.member.email } },
      );
      assert.equal(added.status, 201, JSON.stringify(added.body));
      return {
        key,
        id: added.body.key.id,
        revealPath: `/api/v1/orgs/${orgId}/keys/${added.body.key.id}/reveal`,
      };
    }

    const approvalPath = (id: string, verb = '') =>
      `/api/v1/orgs/${orgId}/approvals/${id}${verb ? `/${verb}` : ''}`;

    before(async () => {
      server = await startTestApp(kind.name);
      for (const name of [
        'admin',
        'helpdesk',
        'secondHelpdesk',
        'member',
        'auditor',
        'outsider',
      ] as const) {
        const browser = new TestBrowser(server.app);
        const email = uniqueEmail(name);
        people[name] = { browser, email, id: await browser.signup(email, testPassword) };
      }
      const created = await people.admin.browser.request<{ organisation: { id: string } }>(
        'POST',
        '/api/v1/orgs',
        { body: { name: 'Acme IT' } },
      );
      orgId = created.body.organisation.id;
      for (const [name, role] of [
        ['helpdesk', 'helpdesk'],
        ['secondHelpdesk', 'helpdesk'],
        ['member', 'member'],
        ['auditor', 'auditor'],
      ] as const) {
        const added = await people.admin.browser.request('POST', `/api/v1/orgs/${orgId}/members`, {
          body: { email: people[name].email, role },
        });
        assert.equal(added.status, 201);
      }
    });
    after(() => server.close());

    it('offers the approval policies, 24 hours by default, changed by admins only', async () => {
      const read = await people.helpdesk.browser.request<{ policies: Policies }>(
        'GET',
        `/api/v1/orgs/${orgId}/policies`,
      );
      assert.deepEqual(read.body.policies, {
        selfServiceReveal: true,
        requireApproval: false,
        approvalLifetimeHours: 24,
        notifyAssignee: true,
        notifyAdmins: true,
        ensureRecoveryPassword: false,
        requireSecondFactorFor: [],
        stepUpMinutes: null,
      });
      const tooLong = await people.admin.browser.request<ErrorReply>(
        'PATCH',
        `/api/v1/orgs/${orgId}/policies`,
        { body: { approvalLifetimeHours: 0 } },
      );
      assert.equal(tooLong.status, 400);
      const changed = await people.admin.browser.request<{ policies: Policies }>(
        'PATCH',
        `/api/v1/orgs/${orgId}/policies`,
        { body: { requireApproval: true } },
      );
      assert.equal(changed.body.policies.requireApproval, true);
    });

    it('turns a helpdesk reveal into a request that another person approves, good for one reveal', async () => {
      const { key, revealPath } = await organisationKey('ACME-PC-0042');
      const body = { reason: 'pin-forgotten', ticket: 'HD-1001' };
      const asked = await people.helpdesk.browser.request<{ approvalId: string }>(
        'POST',
        revealPath,
        { body },
      );
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      assert.deepEqual(Object.keys(asked.body), ['approvalId']);
      const approvalId = asked.body.approvalId;

      const early = await people.helpdesk.browser.request<ErrorReply>('POST', revealPath, {
        body: { ...body, approvalId },
      });
      assert.equal(early.status, 409);
      assert.equal(early.body.error.code, 'approval_pending');

      const queue = await people.secondHelpdesk.browser.request<{ items: Approval[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/approvals?state=pending`,
      );
      const listed = queue.body.items.find((a) => a.id === approvalId);
      assert.ok(listed);
      assert.equal(listed.requester.accountId, people.helpdesk.id);
      assert.equal(listed.key.deviceName, 'ACME-PC-0042');
      assert.equal(listed.key.protectorId, key.protectorId);
      assert.equal(listed.ticket, 'HD-1001');
      assert.equal(JSON.stringify(queue.body).includes(key.recoveryPassword), false);

      const own = await people.helpdesk.browser.request<ErrorReply>(
        'POST',
        approvalPath(approvalId, 'approve'),
      );
      assert.equal(own.status, 403);
      assert.match(own.body.error.message, /your own request/);
      for (const who of ['member', 'auditor'] as const) {
        const refused = await people[who].browser.request(
          'POST',
          approvalPath(approvalId, 'approve'),
        );
        assert.equal(refused.status, 403, who);
        const list = await people[who].browser.request('GET', `/api/v1/orgs/${orgId}/approvals`);
        assert.equal(list.status, 403, who);
      }
      const outsider = await people.outsider.browser.request(
        'POST',
        approvalPath(approvalId, 'approve'),
      );
      assert.equal(outsider.status, 404);

      const approved = await people.secondHelpdesk.browser.request<{ approval: Approval }>(
        'POST',
        approvalPath(approvalId, 'approve'),
        { body: { note: 'Checked with the caller on the phone' } },
      );
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.approval.state, 'approved');
      assert.equal(approved.body.approval.decidedBy?.accountId, people.secondHelpdesk.id);
      assert.equal(approved.body.approval.note, 'Checked with the caller on the phone');
      const lifetime =
        Date.parse(approved.body.approval.expiresAt ?? '') -
        Date.parse(approved.body.approval.decidedAt ?? '');
      assert.equal(Math.round(lifetime / 3_600_000), 24);
      const again = await people.admin.browser.request<ErrorReply>(
        'POST',
        approvalPath(approvalId, 'deny'),
      );
      assert.equal(again.status, 409);

      const someoneElse = await people.secondHelpdesk.browser.request<ErrorReply>(
        'POST',
        revealPath,
        { body: { ...body, approvalId } },
      );
      assert.equal(someoneElse.status, 404, 'an approval serves its requester only');

      const revealed = await people.helpdesk.browser.request<{ recoveryPassword: string }>(
        'POST',
        revealPath,
        { body: { ...body, approvalId } },
      );
      assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
      assert.equal(revealed.body.recoveryPassword, key.recoveryPassword);
      const twice = await people.helpdesk.browser.request<ErrorReply>('POST', revealPath, {
        body: { ...body, approvalId },
      });
      assert.equal(twice.status, 409);
      assert.equal(twice.body.error.code, 'approval_used');

      const followed = await people.helpdesk.browser.request<{ approval: Approval }>(
        'GET',
        approvalPath(approvalId),
      );
      assert.equal(followed.body.approval.state, 'used');

      const events = await server.ctx.db
        .selectFrom('audit_events')
        .select(['action', 'actor_user_id', 'details'])
        .where('details', 'like', `%${approvalId}%`)
        .orderBy('seq')
        .execute();
      assert.deepEqual(
        events.map((e) => [e.action, e.actor_user_id]),
        [
          ['reveal_approval_requested', people.helpdesk.id],
          ['reveal_approved', people.secondHelpdesk.id],
          ['key_revealed', people.helpdesk.id],
        ],
      );
      const verified = await server.ctx.audit.verify(server.ctx.db);
      assert.equal(verified.problem, undefined);
    });

    it('reveals directly for admins, and refuses a denied request with its reason', async () => {
      const { key, revealPath } = await organisationKey('ACME-PC-0043');
      const direct = await people.admin.browser.request<{ recoveryPassword: string }>(
        'POST',
        revealPath,
        { body: { reason: 'hardware-repair' } },
      );
      assert.equal(direct.status, 200);
      assert.equal(direct.body.recoveryPassword, key.recoveryPassword);

      const asked = await people.helpdesk.browser.request<{ approvalId: string }>(
        'POST',
        revealPath,
        { body: { reason: 'other', reasonText: 'Caller could not say which PC' } },
      );
      assert.equal(asked.status, 202);
      const denied = await people.admin.browser.request<{ approval: Approval }>(
        'POST',
        approvalPath(asked.body.approvalId, 'deny'),
        { body: { note: 'Not the assigned person' } },
      );
      assert.equal(denied.body.approval.state, 'denied');
      const refused = await people.helpdesk.browser.request<ErrorReply>('POST', revealPath, {
        body: { reason: 'other', reasonText: 'again', approvalId: asked.body.approvalId },
      });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'approval_denied');
      const deniedList = await people.admin.browser.request<{ items: Approval[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/approvals?state=denied`,
      );
      assert.deepEqual(
        deniedList.body.items.map((a) => a.id),
        [asked.body.approvalId],
      );
    });

    it('leaves a key unmarked and unrevealed until an approved request hands it out', async () => {
      const { id, revealPath } = await organisationKey('ACME-PC-0046');
      const state = async () => {
        const read = await people.admin.browser.request<{ key: KeySummaryReply }>(
          'GET',
          `/api/v1/orgs/${orgId}/keys/${id}`,
        );
        const reveals = await server.ctx.db
          .selectFrom('audit_events')
          .select('action')
          .where('action', '=', 'key_revealed')
          .where('details', 'like', `%${id}%`)
          .execute();
        return { rotationRequired: read.body.key.rotationRequired, reveals: reveals.length };
      };
      const untouched = { rotationRequired: false, reveals: 0 };
      const body = { reason: 'tpm-or-firmware-change' };

      const denied = await people.helpdesk.browser.request<{ approvalId: string }>(
        'POST',
        revealPath,
        { body },
      );
      assert.equal(denied.status, 202);
      assert.deepEqual(await state(), untouched, 'a request hands nothing out');
      await people.admin.browser.request('POST', approvalPath(denied.body.approvalId, 'deny'));
      const refused = await people.helpdesk.browser.request('POST', revealPath, {
        body: { ...body, approvalId: denied.body.approvalId },
      });
      assert.equal(refused.status, 403);

      const asked = await people.helpdesk.browser.request<{ approvalId: string }>(
        'POST',
        revealPath,
        { body },
      );
      const early = await people.helpdesk.browser.request('POST', revealPath, {
        body: { ...body, approvalId: asked.body.approvalId },
      });
      assert.equal(early.status, 409);
      const strangers = await people.secondHelpdesk.browser.request('POST', revealPath, {
        body: { ...body, approvalId: asked.body.approvalId },
      });
      assert.equal(strangers.status, 404);
      assert.deepEqual(await state(), untouched, 'refused reveals hand nothing out');

      await people.admin.browser.request('POST', approvalPath(asked.body.approvalId, 'approve'));
      assert.deepEqual(await state(), untouched, 'an approval alone hands nothing out');
      const revealed = await people.helpdesk.browser.request('POST', revealPath, {
        body: { ...body, approvalId: asked.body.approvalId },
      });
      assert.equal(revealed.status, 200);
      assert.deepEqual(await state(), { rotationRequired: true, reveals: 1 });
    });

    it('lets an approval lapse after the policy’s lifetime', async () => {
      await people.admin.browser.request('PATCH', `/api/v1/orgs/${orgId}/policies`, {
        body: { approvalLifetimeHours: 2 },
      });
      const { revealPath } = await organisationKey('ACME-PC-0044');
      const body = { reason: 'data-recovery' };
      const asked = await people.helpdesk.browser.request<{ approvalId: string }>(
        'POST',
        revealPath,
        { body },
      );
      const approved = await people.admin.browser.request<{ approval: Approval }>(
        'POST',
        approvalPath(asked.body.approvalId, 'approve'),
      );
      assert.equal(approved.status, 200);
      server.clock.advance(2 * 3_600_000 + 60_000);
      const helpdesk = await freshly('helpdesk');
      const lapsed = await helpdesk.request<ErrorReply>('POST', revealPath, {
        body: { ...body, approvalId: asked.body.approvalId },
      });
      assert.equal(lapsed.status, 410);
      assert.equal(lapsed.body.error.code, 'approval_expired');
      const admin = await freshly('admin');
      const expired = await admin.request<{ items: Approval[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/approvals?state=expired`,
      );
      assert.deepEqual(
        expired.body.items.map((a) => a.id),
        [asked.body.approvalId],
      );
      await admin.request('PATCH', `/api/v1/orgs/${orgId}/policies`, {
        body: { approvalLifetimeHours: 24 },
      });
    });

    it('records one decision out of 200 concurrent ones, and one reveal out of 200', async () => {
      const { key, revealPath } = await organisationKey('ACME-PC-0045');
      const helpdesk = await freshly('helpdesk');
      const admin = await freshly('admin');
      const secondHelpdesk = await freshly('secondHelpdesk');
      const body = { reason: 'startup-key-lost' };
      const asked = await helpdesk.request<{ approvalId: string }>('POST', revealPath, { body });
      const approvalId = asked.body.approvalId;
      const decisions = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          (i % 2 === 0 ? admin : secondHelpdesk).request(
            'POST',
            approvalPath(approvalId, i % 4 === 1 ? 'deny' : 'approve'),
          ),
        ),
      );
      const statuses = decisions.map((d) => d.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(statuses));
      assert.equal(statuses.filter((s) => s === 409).length, 199);
      const recorded = await server.ctx.db
        .selectFrom('audit_events')
        .select('action')
        .where('action', 'in', ['reveal_approved', 'reveal_denied'])
        .where('details', 'like', `%${approvalId}%`)
        .execute();
      assert.equal(recorded.length, 1);

      const state = await helpdesk.request<{ approval: Approval }>('GET', approvalPath(approvalId));
      if (state.body.approval.state !== 'approved') {
        // The denial won the race: ask once more and approve outright.
        const again = await helpdesk.request<{ approvalId: string }>('POST', revealPath, { body });
        await admin.request('POST', approvalPath(again.body.approvalId, 'approve'));
        return revealOnce(again.body.approvalId);
      }
      return revealOnce(approvalId);

      async function revealOnce(id: string) {
        const reveals = await Promise.all(
          Array.from({ length: 200 }, () =>
            helpdesk.request<{ recoveryPassword?: string }>('POST', revealPath, {
              body: { ...body, approvalId: id },
            }),
          ),
        );
        const succeeded = reveals.filter((r) => r.status === 200);
        assert.equal(succeeded.length, 1);
        assert.equal(succeeded[0]?.body.recoveryPassword, key.recoveryPassword);
        assert.ok(reveals.every((r) => r.status === 200 || r.status === 409));
        const revealEvents = await server.ctx.db
          .selectFrom('audit_events')
          .select('id')
          .where('action', '=', 'key_revealed')
          .where('details', 'like', `%${id}%`)
          .execute();
        assert.equal(revealEvents.length, 1);
      }
    });
  });
}
