import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CoverageReport } from '../../../api/keys.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, type TestApp } from '../../../../test/server/harness.js';
import { randomKey, type KeySummaryReply } from '../../../../test/server/key-library.js';
import {
  getText,
  startOrganisation,
  type TestOrganisation,
} from '../../../../test/server/organisation.js';

for (const kind of databaseKinds) {
  describe(`an organisation's coverage report on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let org: TestOrganisation;
    const keys: Record<string, KeySummaryReply> = {};
    const path = (rest: string) => `/api/v1/orgs/${org.orgId}${rest}`;

    before(async () => {
      server = await startTestApp(kind.name);
      org = await startOrganisation(server, 'Acme IT');
      const admin = org.people.admin.browser;
      const add = async (name: string, body: Record<string, unknown>) => {
        const added = await admin.request<{ key: KeySummaryReply }>('POST', path('/keys'), {
          body,
        });
        assert.equal(added.status, 201, JSON.stringify(added.body));
        keys[name] = added.body.key;
      };
      // ACME-PC-1: its system drive's key was read from the drive itself; its data drive's
      // key was revealed to the helpdesk.
      await add('proven', {
        ...randomKey({ deviceName: 'ACME-PC-1', volume: { label: 'C:', type: 'os' } }),
        provenAgainstVolume: true,
      });
      await add(
        'revealed',
        randomKey({ deviceName: 'ACME-PC-1', volume: { label: 'D:', type: 'fixed' } }),
      );
      await org.people.helpdesk.browser.request('POST', path(`/keys/${keys.revealed?.id}/reveal`), {
        body: { reason: 'data-recovery' },
      });
      // ACME-PC-2: its only key went to the bin, so its drive has none escrowed.
      await add('deleted', randomKey({ deviceName: 'ACME-PC-2' }));
      await admin.request('DELETE', path(`/keys/${keys.deleted?.id}`), {
        body: { confirmSaved: true },
      });
      // ACME-PC-3: last reported long ago.
      await add('stale', randomKey({ deviceName: 'ACME-PC-3' }));
      await server.ctx.db
        .updateTable('devices')
        .set({ last_seen_at: '2026-01-05T08:00:00.000Z' })
        .where('name', '=', 'ACME-PC-3')
        .execute();
    });
    after(() => server.close());

    it('counts devices, drives, keys to rotate, keys never proven and devices not seen', async () => {
      const answer = await org.people.auditor.browser.request<CoverageReport>(
        'GET',
        path('/report?staleDays=30'),
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      const report = answer.body;
      assert.deepEqual(report.counts, {
        devices: 3,
        drives: 4,
        drivesEscrowed: 3,
        drivesWithoutKey: 1,
        keys: 3,
        keysRotationRequired: 1,
        keysNeverProven: 2,
        devicesRotationRequired: 1,
        devicesNotSeen: 1,
      });
      assert.deepEqual(
        report.drivesWithoutKey.map((item) => item.deviceName),
        ['ACME-PC-2'],
      );
      assert.deepEqual(
        report.keysRotationRequired.map((item) => [item.protectorId, item.driveLabel]),
        [[keys.revealed?.protectorId, 'D:']],
      );
      assert.deepEqual(
        report.keysNeverProven.map((item) => item.protectorId).sort(),
        [keys.revealed?.protectorId, keys.stale?.protectorId].sort(),
      );
      assert.deepEqual(
        report.devicesNotSeen.map((item) => [item.deviceName, item.lastSeenAt]),
        [['ACME-PC-3', '2026-01-05T08:00:00.000Z']],
      );
      assert.equal(report.truncated, false);
      assert.ok(!JSON.stringify(report).includes('recoveryPassword'));

      const lenient = await org.people.owner.browser.request<CoverageReport>(
        'GET',
        path('/report?staleDays=3650'),
      );
      assert.equal(lenient.body.counts.devicesNotSeen, 0);
      const invalid = await org.people.owner.browser.request('GET', path('/report?staleDays=0'));
      assert.equal(invalid.status, 400);
    });

    it('gives one CSV row per drive', async () => {
      const csv = await getText(server, org.people.admin.browser, path('/report?format=csv'));
      assert.equal(csv.status, 200, csv.body);
      assert.match(csv.contentType, /^text\/csv/);
      const lines = csv.body.trimEnd().split('\r\n');
      assert.equal(
        lines[0],
        'deviceName,deviceId,assigneeEmail,lastSeenAt,notSeen,driveLabel,driveType,volumeGuid,escrowed,keyId,rotationRequired,rotationRequiredSince,provenAt',
      );
      assert.equal(lines.length, 1 + 4);
      const revealed = lines.find((line) => line.includes(keys.revealed?.protectorId ?? '-'));
      assert.match(revealed ?? '', /^ACME-PC-1,.*,D:,fixed,,true,[0-9A-F-]{36},true,\d{4}-/);
      const empty = lines.find((line) => line.startsWith('ACME-PC-2,'));
      assert.match(empty ?? '', /,C:,os,,false,,,,$/);
      const byAccept = await getText(server, org.people.admin.browser, path('/report'), {
        accept: 'text/csv',
      });
      assert.equal(byAccept.body, csv.body);
    });

    it('is for owners, admins and auditors', async () => {
      for (const role of ['helpdesk', 'member'] as const) {
        const refused = await org.people[role].browser.request('GET', path('/report'));
        assert.equal(refused.status, 403);
      }
    });
  });
}
