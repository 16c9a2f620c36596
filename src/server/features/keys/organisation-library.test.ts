import type { z } from 'zod';
import type { devicePage, deviceResponse } from '../../../api/keys.js';
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

type DeviceReply = z.infer<typeof deviceResponse>['device'];

for (const kind of databaseKinds) {
  describe(`an organisation's key library on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let admin: TestBrowser;
    let helpdesk: TestBrowser;
    let member: TestBrowser;
    let memberEmail = '';
    let helpdeskEmail = '';
    let memberId = '';
    let orgId = '';

    before(async () => {
      server = await startTestApp(kind.name);
      admin = new TestBrowser(server.app);
      await admin.signup(uniqueEmail('admin'), testPassword);
      const created = await admin.request<{ organisation: { id: string } }>(
        'POST',
        '/api/v1/orgs',
        {
          body: { name: 'Acme IT' },
        },
      );
      orgId = created.body.organisation.id;
      helpdesk = new TestBrowser(server.app);
      helpdeskEmail = uniqueEmail('helpdesk');
      await helpdesk.signup(helpdeskEmail, testPassword);
      member = new TestBrowser(server.app);
      memberEmail = uniqueEmail('member');
      memberId = await member.signup(memberEmail, testPassword);
      for (const [email, role] of [
        [helpdeskEmail, 'helpdesk'],
        [memberEmail, 'member'],
      ] as const) {
        await admin.request('POST', `/api/v1/orgs/${orgId}/members`, { body: { email, role } });
      }
    });
    after(() => server.close());

    it('keeps a device with its assigned member, and each drive with its current and previous keys', async () => {
      const first = randomKey({ deviceName: 'ACME-PC-0042' });
      const added = await admin.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys`,
        { body: { ...first, volume: { label: 'C:' }, assigneeEmail: memberEmail } },
      );
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const second = randomKey({ deviceName: 'ACME-PC-0042' });
      await helpdesk.request('POST', `/api/v1/orgs/${orgId}/keys`, {
        body: { ...second, volume: { label: 'C:' } },
      });
      const devices = await helpdesk.request<z.infer<typeof devicePage>>(
        'GET',
        `/api/v1/orgs/${orgId}/devices`,
      );
      const device = devices.body.items.find((d) => d.name === 'ACME-PC-0042');
      assert.ok(device);
      assert.equal(device.assignee?.accountId, memberId);
      const detail = await member.request<{ device: DeviceReply }>(
        'GET',
        `/api/v1/orgs/${orgId}/devices/${device.id}`,
      );
      assert.equal(detail.status, 200, JSON.stringify(detail.body));
      const drive = detail.body.device.drives.find((d) => d.label === 'C:');
      assert.ok(drive);
      assert.equal(drive.currentKey?.protectorId, second.protectorId);
      assert.deepEqual(
        drive.previousKeys.map((k) => k.protectorId),
        [first.protectorId],
      );
      // The organisation's keys are not in anyone's personal library.
      const personal = await admin.request<KeyPageReply>('GET', '/api/v1/keys');
      assert.equal(personal.body.items.length, 0);
    });

    it('finds a key by the 8 characters of the recovery screen and reveals it with a reason', async () => {
      const key = randomKey({ deviceName: 'ACME-LAPTOP-7' });
      const added = await admin.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys`,
        { body: { ...key, assigneeEmail: memberEmail } },
      );
      const found = await helpdesk.request<KeyPageReply>(
        'GET',
        `/api/v1/orgs/${orgId}/keys?q=${added.body.key.shortId}`,
      );
      assert.deepEqual(
        found.body.items.map((k) => k.id),
        [added.body.key.id],
      );
      const revealPath = `/api/v1/orgs/${orgId}/keys/${added.body.key.id}/reveal`;
      const withoutReason = await helpdesk.request<ErrorReply>('POST', revealPath, { body: {} });
      assert.equal(withoutReason.status, 400);
      const otherWithoutText = await helpdesk.request<ErrorReply>('POST', revealPath, {
        body: { reason: 'other' },
      });
      assert.equal(otherWithoutText.status, 400);
      const revealed = await helpdesk.request<{ recoveryPassword: string }>('POST', revealPath, {
        body: { reason: 'tpm-or-firmware-change', ticket: 'HD-2211' },
      });
      assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
      assert.equal(revealed.body.recoveryPassword, key.recoveryPassword);
      const event = await server.ctx.db
        .selectFrom('audit_events')
        .select(['organisation_id', 'subject_user_id', 'details'])
        .where('action', '=', 'key_revealed')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(event.organisation_id, orgId);
      assert.equal(event.subject_user_id, memberId);
      const details = JSON.parse(event.details) as Record<string, unknown>;
      assert.equal(details.reason, 'tpm-or-firmware-change');
      assert.equal(details.ticket, 'HD-2211');
    });

    it("lets a member reveal their own device's key only while self-service is on", async () => {
      const key = randomKey({ deviceName: 'ACME-PC-0099' });
      const added = await admin.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys`,
        { body: { ...key, assigneeEmail: memberEmail } },
      );
      const revealPath = `/api/v1/orgs/${orgId}/keys/${added.body.key.id}/reveal`;
      const body = { reason: 'pin-forgotten' };
      assert.equal((await member.request('POST', revealPath, { body })).status, 200);
      const refusedChange = await helpdesk.request('PATCH', `/api/v1/orgs/${orgId}/policies`, {
        body: { selfServiceReveal: false },
      });
      assert.equal(refusedChange.status, 403);
      const changed = await admin.request<{ policies: { selfServiceReveal: boolean } }>(
        'PATCH',
        `/api/v1/orgs/${orgId}/policies`,
        { body: { selfServiceReveal: false } },
      );
      assert.equal(changed.body.policies.selfServiceReveal, false);
      assert.equal((await member.request('POST', revealPath, { body })).status, 403);
      assert.equal((await helpdesk.request('POST', revealPath, { body })).status, 200);
      await admin.request('PATCH', `/api/v1/orgs/${orgId}/policies`, {
        body: { selfServiceReveal: true },
      });
    });

    it('asks for a fresh sign-in before revealing an organisation key long after signing in', async () => {
      const key = randomKey({ deviceName: 'ACME-PC-STEPUP' });
      const added = await admin.request<{ key: KeySummaryReply }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys`,
        { body: key },
      );
      const own = await helpdesk.request<{ key: KeySummaryReply }>('POST', '/api/v1/keys', {
        body: randomKey({ deviceName: 'HELPDESK-OWN-PC' }),
      });
      const revealPath = `/api/v1/orgs/${orgId}/keys/${added.body.key.id}/reveal`;
      const body = { reason: 'hardware-repair' };
      server.clock.advance(16 * 60_000);
      const stale = await helpdesk.request<ErrorReply>('POST', revealPath, {
        body,
        headers: { 'accept-language': 'nb' },
      });
      assert.equal(stale.status, 403);
      assert.equal(stale.body.error.code, 'step_up_required');
      assert.match(stale.body.error.message, /Bekreft at det er deg/);
      const ownReveal = await helpdesk.request('POST', `/api/v1/keys/${own.body.key.id}/reveal`, {
        body: {},
      });
      assert.equal(ownReveal.status, 200, 'a personal key asks for no step-up');

      const fresh = new TestBrowser(server.app);
      await fresh.signin(helpdeskEmail, testPassword);
      const revealed = await fresh.request<{ recoveryPassword: string }>('POST', revealPath, {
        body,
      });
      assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
      assert.equal(revealed.body.recoveryPassword, key.recoveryPassword);
    });

    it('assigns a device only to a member of the organisation', async () => {
      const outsider = uniqueEmail('outsider');
      await new TestBrowser(server.app).signup(outsider, testPassword);
      const refused = await admin.request<ErrorReply>('POST', `/api/v1/orgs/${orgId}/keys`, {
        body: { ...randomKey(), assigneeEmail: outsider },
      });
      assert.equal(refused.status, 400);
      assert.match(refused.body.error.message, /member of the organisation/);
    });
  });
}
