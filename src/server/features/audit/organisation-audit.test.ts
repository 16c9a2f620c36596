import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OrganisationAuditEvent } from '../../../api/audit.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import {
  randomKey,
  testPassword,
  uniqueEmail,
  type ErrorReply,
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';
import {
  getText,
  startOrganisation,
  type TestOrganisation,
} from '../../../../test/server/organisation.js';

interface AuditReply {
  events: OrganisationAuditEvent[];
  nextCursor: string | null;
}

for (const kind of databaseKinds) {
  describe(`an organisation's audit on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let org: TestOrganisation;
    let key: KeySummaryReply;
    let startedAt = '';
    const path = (rest: string) => `/api/v1/orgs/${org.orgId}${rest}`;

    before(async () => {
      server = await startTestApp(kind.name);
      startedAt = server.clock.now().toISOString();
      org = await startOrganisation(server, 'Acme IT');
      const { admin, helpdesk, member } = org.people;
      const added = await admin.browser.request<{ key: KeySummaryReply }>('POST', path('/keys'), {
        body: { ...randomKey({ deviceName: 'ACME-PC-0042' }), assigneeEmail: member.email },
      });
      key = added.body.key;
      await admin.browser.request('POST', path('/keys'), {
        body: randomKey({ deviceName: 'ACME-PC-0077' }),
      });
      server.clock.advance(60_000);
      const revealed = await helpdesk.browser.request('POST', path(`/keys/${key.id}/reveal`), {
        body: { reason: 'other', reasonText: 'Screen asks after BIOS update', ticket: 'HD-314' },
      });
      assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
      await admin.browser.request('PATCH', path('/policies'), { body: { notifyAssignee: false } });
      const newcomer = new TestBrowser(server.app);
      const newcomerEmail = uniqueEmail('newcomer');
      const newcomerId = await newcomer.signup(newcomerEmail, testPassword);
      await admin.browser.request('POST', path('/members'), {
        body: { email: newcomerEmail, role: 'helpdesk' },
      });
      await admin.browser.request('PATCH', path(`/members/${newcomerId}`), {
        body: { role: 'admin' },
      });
      // Another organisation's events never show here.
      const elsewhere = await startOrganisation(server, 'Elsewhere');
      await elsewhere.people.admin.browser.request('POST', `/api/v1/orgs/${elsewhere.orgId}/keys`, {
        body: randomKey({ deviceName: 'ACME-PC-0042' }),
      });
    });
    after(() => server.close());

    async function audit(query = '', who = org.people.auditor.browser) {
      const answer = await who.request<AuditReply>('GET', path(`/audit${query}`));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    }

    it('shows reveals with their reason, policy and member changes, newest first', async () => {
      const { events } = await audit();
      const actions = events.map((event) => event.action);
      for (const action of [
        'key_revealed',
        'organisation_policies_changed',
        'member_added',
        'key_added',
        'organisation_created',
      ]) {
        assert.ok(actions.includes(action), `no ${action} in ${actions.join(', ')}`);
      }
      const seqs = events.map((event) => event.seq);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => b - a),
      );
      const reveal = events.find((event) => event.action === 'key_revealed');
      assert.ok(reveal);
      assert.equal(reveal.actor?.email, org.people.helpdesk.email);
      assert.equal(reveal.subject?.email, org.people.member.email);
      assert.equal(reveal.details.reason, 'other');
      assert.equal(reveal.details.reasonText, 'Screen asks after BIOS update');
      assert.equal(reveal.details.ticket, 'HD-314');
      assert.ok(!JSON.stringify(events).includes('recoveryPassword'));
    });

    it('narrows by actor, action, device, Key ID and time, and pages', async () => {
      const byHelpdesk = await audit(`?actor=${encodeURIComponent(org.people.helpdesk.email)}`);
      assert.ok(byHelpdesk.events.length > 0);
      assert.ok(byHelpdesk.events.every((e) => e.actor?.accountId === org.people.helpdesk.id));
      const byId = await audit(`?actor=${org.people.helpdesk.id}`);
      assert.deepEqual(byId.events, byHelpdesk.events);
      assert.deepEqual((await audit('?actor=nobody@example.org')).events, []);

      const reveals = await audit('?action=key_revealed');
      assert.deepEqual(
        reveals.events.map((e) => e.action),
        ['key_revealed'],
      );
      const changes = await audit('?action=member_added,member_role_changed');
      assert.deepEqual(new Set(changes.events.map((e) => e.action)).size, 2);

      const device = await audit('?device=acme-pc-0042');
      assert.deepEqual(device.events.map((e) => e.action).sort(), ['key_added', 'key_revealed']);
      const byKey = await audit(`?keyId=${key.shortId.toLowerCase()}`);
      assert.deepEqual(byKey.events.map((e) => e.action).sort(), ['key_added', 'key_revealed']);
      const tooShort = await org.people.auditor.browser.request<ErrorReply>(
        'GET',
        path('/audit?keyId=AB'),
      );
      assert.equal(tooShort.status, 400);
      assert.match(tooShort.body.error.message, /at least 4/);

      const early = await audit(
        `?to=${encodeURIComponent(new Date(Date.parse(startedAt) + 30_000).toISOString())}`,
      );
      assert.ok(!early.events.some((e) => e.action === 'key_revealed'));
      assert.ok(early.events.some((e) => e.action === 'organisation_created'));
      const late = await audit(
        `?from=${encodeURIComponent(new Date(Date.parse(startedAt) + 30_000).toISOString())}`,
      );
      assert.ok(late.events.some((e) => e.action === 'key_revealed'));
      assert.ok(!late.events.some((e) => e.action === 'organisation_created'));
      const backwards = await org.people.auditor.browser.request<ErrorReply>(
        'GET',
        path('/audit?from=2026-02-01&to=2026-01-01'),
      );
      assert.equal(backwards.status, 400);

      const all = await audit();
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: AuditReply = await audit(
          `?limit=2${cursor === null ? '' : `&before=${cursor}`}`,
        );
        assert.ok(page.events.length <= 2);
        seen.push(...page.events.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      assert.deepEqual(
        seen,
        all.events.map((e) => e.id),
      );
    });

    it('exports the matching events as CSV', async () => {
      for (const [query, headers] of [
        ['?format=csv&action=key_revealed', {}],
        ['?action=key_revealed', { accept: 'text/csv' }],
      ] as const) {
        const csv = await getText(
          server,
          org.people.auditor.browser,
          path(`/audit${query}`),
          headers,
        );
        assert.equal(csv.status, 200, csv.body);
        assert.match(csv.contentType, /^text\/csv/);
        const [header, row, end] = csv.body.split('\r\n');
        assert.match(header ?? '', /^seq,at,action,actorEmail,/);
        assert.ok(row?.includes(`,key_revealed,${org.people.helpdesk.email},`), row);
        assert.ok(row?.includes(',HD-314,'), row);
        assert.ok(row?.includes('Screen asks after BIOS update'), row);
        assert.equal(end, '');
      }
    });

    it('is for owners, admins and auditors only', async () => {
      for (const role of ['owner', 'admin', 'auditor'] as const) {
        await audit('', org.people[role].browser);
      }
      for (const role of ['helpdesk', 'member'] as const) {
        const refused = await org.people[role].browser.request('GET', path('/audit'));
        assert.equal(refused.status, 403);
      }
      const outsider = new TestBrowser(server.app);
      await outsider.signup(uniqueEmail('outsider'), testPassword);
      const hidden = await outsider.request('GET', path('/audit'));
      assert.equal(hidden.status, 404);
    });

    it('reads events that are in the hash chain verify-audit checks', async () => {
      const verified = await server.ctx.audit.verify(server.ctx.db);
      assert.equal(verified.problem, undefined);
      const { events } = await audit('?limit=200', org.people.owner.browser);
      assert.ok(events.every((event) => event.seq <= verified.head.seq));
      // Changing a reveal's reason afterwards breaks the chain at that event.
      const reveal = events.find((event) => event.action === 'key_revealed');
      assert.ok(reveal);
      await server.ctx.db
        .updateTable('audit_events')
        .set({ details: JSON.stringify({ ...reveal.details, reason: 'pin-forgotten' }) })
        .where('id', '=', reveal.id)
        .execute();
      const broken = await server.ctx.audit.verify(server.ctx.db);
      assert.equal(broken.brokenEvent?.id, reveal.id);
    });
  });
}
