import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { z } from 'zod';
import type { devicePage, deviceResponse } from '../../../api/keys.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, type TestApp } from '../../../../test/server/harness.js';
import {
  randomKey,
  type KeyPageReply,
  type KeySummaryReply,
} from '../../../../test/server/key-library.js';
import { startOrganisation, type TestOrganisation } from '../../../../test/server/organisation.js';

type DeviceReply = z.infer<typeof deviceResponse>['device'];
type DeviceListReply = z.infer<typeof devicePage>;

for (const kind of databaseKinds) {
  describe(`rotation of organisation keys on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let org: TestOrganisation;
    const path = (rest: string) => `/api/v1/orgs/${org.orgId}${rest}`;

    before(async () => {
      server = await startTestApp(kind.name);
      org = await startOrganisation(server, 'Acme IT');
    });
    after(() => server.close());

    async function addKey(deviceName: string, label = 'C:'): Promise<KeySummaryReply> {
      const added = await org.people.admin.browser.request<{ key: KeySummaryReply }>(
        'POST',
        path('/keys'),
        {
          body: {
            ...randomKey({ deviceName, volume: { label, type: label === 'C:' ? 'os' : 'fixed' } }),
            assigneeEmail: org.people.member.email,
          },
        },
      );
      assert.equal(added.status, 201, JSON.stringify(added.body));
      return added.body.key;
    }

    async function deviceNamed(name: string): Promise<DeviceReply> {
      const list = await org.people.helpdesk.browser.request<DeviceListReply>(
        'GET',
        path('/devices'),
      );
      const found = list.body.items.find((device) => device.name === name);
      assert.ok(found, `no device ${name}`);
      const detail = await org.people.helpdesk.browser.request<{ device: DeviceReply }>(
        'GET',
        path(`/devices/${found.id}`),
      );
      assert.equal(detail.body.device.rotation, found.rotation);
      return detail.body.device;
    }

    async function listed(key: KeySummaryReply): Promise<KeySummaryReply> {
      const page = await org.people.helpdesk.browser.request<KeyPageReply>(
        'GET',
        path(`/keys?q=${key.shortId}`),
      );
      const found = page.body.items.find((item) => item.id === key.id);
      assert.ok(found, 'the key is found by its Key ID');
      return found;
    }

    it('marks a revealed key until a newer key for the same drive arrives', async () => {
      const first = await addKey('ACME-PC-1001');
      assert.equal(first.rotationRequired, false);
      assert.equal((await deviceNamed('ACME-PC-1001')).rotation, 'none');

      const revealed = await org.people.helpdesk.browser.request(
        'POST',
        path(`/keys/${first.id}/reveal`),
        { body: { reason: 'pin-forgotten', ticket: 'HD-7' } },
      );
      assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
      const marked = await listed(first);
      assert.equal(marked.rotationRequired, true);
      assert.ok(
        marked.rotationRequiredSince !== null &&
          Date.parse(marked.rotationRequiredSince) <= server.clock.now().getTime(),
      );
      const device = await deviceNamed('ACME-PC-1001');
      assert.equal(device.rotation, 'required');
      assert.equal(device.rotationRequiredSince, marked.rotationRequiredSince);
      assert.equal(device.drives[0]?.currentKey?.rotationRequired, true);
      // The member sees the same on their own device.
      const own = await org.people.member.browser.request<{ key: KeySummaryReply }>(
        'GET',
        path(`/keys/${first.id}`),
      );
      assert.equal(own.body.key.rotationRequired, true);

      server.clock.advance(60_000);
      const replacement = await addKey('ACME-PC-1001');
      assert.equal(replacement.rotationRequired, false);
      assert.equal((await listed(first)).rotationRequired, false);
      const after = await deviceNamed('ACME-PC-1001');
      assert.equal(after.rotation, 'none');
      assert.equal(after.drives[0]?.currentKey?.id, replacement.id);
    });

    it('keeps the mark when a key of another drive of the device arrives', async () => {
      const system = await addKey('ACME-PC-1002', 'C:');
      await org.people.helpdesk.browser.request('POST', path(`/keys/${system.id}/reveal`), {
        body: { reason: 'hardware-repair' },
      });
      server.clock.advance(60_000);
      await addKey('ACME-PC-1002', 'D:');
      assert.equal((await listed(system)).rotationRequired, true);
      assert.equal((await deviceNamed('ACME-PC-1002')).rotation, 'required');
    });

    it("lets admins mark a device's drives, and the whole organisation, for rotation", async () => {
      const system = await addKey('ACME-PC-1003', 'C:');
      server.clock.advance(1000);
      const data = await addKey('ACME-PC-1003', 'D:');
      const other = await addKey('ACME-PC-1004');
      const device = await deviceNamed('ACME-PC-1003');

      const refused = await org.people.helpdesk.browser.request(
        'POST',
        path(`/devices/${device.id}/rotate`),
      );
      assert.equal(refused.status, 403);
      const rotated = await org.people.admin.browser.request<{
        marked: number;
        device: DeviceReply;
      }>('POST', path(`/devices/${device.id}/rotate`));
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.equal(rotated.body.marked, 2);
      assert.equal(rotated.body.device.rotation, 'required');
      assert.equal((await listed(system)).rotationRequired, true);
      assert.equal((await listed(data)).rotationRequired, true);
      assert.equal((await listed(other)).rotationRequired, false);
      const again = await org.people.admin.browser.request<{ marked: number }>(
        'POST',
        path(`/devices/${device.id}/rotate`),
      );
      assert.equal(again.body.marked, 0, 'a marked key is not marked twice');

      const everything = await org.people.owner.browser.request<{ marked: number }>(
        'POST',
        path('/rotate'),
      );
      assert.equal(everything.status, 200, JSON.stringify(everything.body));
      assert.ok(everything.body.marked >= 1);
      assert.equal((await listed(other)).rotationRequired, true);
      const events = await server.ctx.db
        .selectFrom('audit_events')
        .select(['details'])
        .where('action', '=', 'rotation_requested')
        .where('organisation_id', '=', org.orgId)
        .execute();
      assert.equal(events.length, 3);
    });

    it('never marks a key of a personal library', async () => {
      const browser = org.people.helpdesk.browser;
      const own = await browser.request<{ key: KeySummaryReply }>('POST', '/api/v1/keys', {
        body: randomKey({ deviceName: 'HELPDESK-HOME' }),
      });
      await browser.request('POST', `/api/v1/keys/${own.body.key.id}/reveal`, { body: {} });
      const after = await browser.request<{ key: KeySummaryReply }>(
        'GET',
        `/api/v1/keys/${own.body.key.id}`,
      );
      assert.equal(after.body.key.rotationRequired, false);
    });
  });
}
