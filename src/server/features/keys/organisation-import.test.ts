import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { OrganisationAuditEvent } from '../../../api/audit.js';
import type { DeviceAnswer, devicePage, escrowImportResponse } from '../../../api/keys.js';
import { readEscrowExport } from '../../../bitlocker/escrow-exports.js';
import { keyToRecoveryPassword } from '../../../bitlocker/recovery-password.js';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, type TestApp } from '../../../../test/server/harness.js';
import type { ErrorReply, KeyPageReply } from '../../../../test/server/key-library.js';
import { startOrganisation, type TestOrganisation } from '../../../../test/server/organisation.js';

type ImportReply = z.infer<typeof escrowImportResponse>;

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/escrow-exports/${name}`, import.meta.url));

/** An Entra ID CSV of these keys: [Key ID, device name, volume type, date]. */
function entraCsv(keys: [string, string, string, string][]): Buffer {
  const rows = keys.map(([keyId, device, type, date]) =>
    [keyId, device, '', type, keyToRecoveryPassword(randomBytes(16)), date]
      .map((field) => `"${field}"`)
      .join(','),
  );
  const header = '"Key ID","Device name","Device ID","Volume type","Recovery key","Date"';
  return Buffer.from([header, ...rows].join('\r\n'), 'utf8');
}

for (const kind of databaseKinds) {
  describe(
    `moving an organisation in from other systems on ${kind.name}`,
    { skip: kind.skip },
    () => {
      let server: TestApp;
      let org: TestOrganisation;
      const path = (rest: string) => `/api/v1/orgs/${org.orgId}${rest}`;

      before(async () => {
        server = await startTestApp(kind.name);
        org = await startOrganisation(server, 'Acme IT');
      });
      after(() => server.close());

      function upload(name: string, dryRun: boolean, who = org.people.admin.browser) {
        return who.request<ImportReply>('POST', path(`/import?dryRun=${dryRun}`), {
          body: { filename: name, contentBase64: fixture(name).toString('base64') },
        });
      }

      it('reports what an Entra ID export would add, then adds it with devices, types and dates', async () => {
        const dry = await upload('entra-bitlocker-keys.csv', true);
        assert.equal(dry.status, 200, JSON.stringify(dry.body));
        assert.equal(dry.body.format, 'entra-csv');
        assert.deepEqual(
          dry.body.items.map((item) => [item.position, item.action, item.reasonCode ?? null]),
          [
            [1, 'add', null],
            [2, 'add', null],
            [3, 'add', null],
            [4, 'skip', 'repeated'],
            [5, 'skip', 'invalid_key_id'],
            [6, 'skip', 'invalid_password'],
          ],
        );
        assert.equal(dry.body.added, 3);
        const nothingYet = await org.people.admin.browser.request<KeyPageReply>(
          'GET',
          path('/keys'),
        );
        assert.equal(nothingYet.body.items.length, 0, 'a dry run stores nothing');

        const done = await upload('entra-bitlocker-keys.csv', false);
        assert.equal(done.body.added, 3);
        assert.deepEqual(
          done.body.items.map((item) => item.action),
          dry.body.items.map((item) => item.action),
        );
        const keys = await org.people.helpdesk.browser.request<KeyPageReply>(
          'GET',
          path('/keys?q=6D1A9E42'),
        );
        const [key] = keys.body.items;
        assert.ok(key);
        assert.equal(key.deviceName, 'ACME-LT-0142');
        assert.equal(key.volume.type, 'os');
        assert.equal(key.createdAt, '2024-03-18T09:12:44.000Z');
        assert.equal(key.source, 'import');
        const devices = await org.people.helpdesk.browser.request<z.infer<typeof devicePage>>(
          'GET',
          path('/devices'),
        );
        const laptop = devices.body.items.find((device) => device.name === 'ACME-LT-0142');
        assert.equal(laptop?.lastSeenAt, '2024-03-18T09:13:02.000Z');

        const revealed = await org.people.helpdesk.browser.request<{ recoveryPassword: string }>(
          'POST',
          path(`/keys/${key.id}/reveal`),
          { body: { reason: 'pin-forgotten' } },
        );
        const [source] = readEscrowExport(fixture('entra-bitlocker-keys.csv')).items;
        assert.equal(revealed.body.recoveryPassword, source?.recoveryPassword);

        const again = await upload('entra-bitlocker-keys.csv', false);
        assert.equal(again.body.added, 0);
        assert.deepEqual(
          again.body.items.slice(0, 3).map((item) => item.reasonCode),
          ['already_stored', 'already_stored', 'already_stored'],
        );
      });

      for (const [name, format, added] of [
        ['graph-recovery-keys.json', 'graph-json', 2],
        ['ad-recovery-information.ldf', 'ad-ldif', 3],
        ['mbam-recovery-keys.csv', 'mbam-csv', 2],
      ] as const) {
        it(`imports ${format}`, async () => {
          const answer = await upload(name, false);
          assert.equal(answer.status, 200, JSON.stringify(answer.body));
          assert.equal(answer.body.format, format);
          assert.equal(answer.body.added, added);
          assert.ok(answer.body.items.every((item) => item.action !== 'conflict'));
        });
      }

      it('finds the AD keys again in Get-ADObject JSON, and marks MBAM keys already disclosed', async () => {
        const ad = await upload('get-adobject.json', true);
        assert.equal(ad.body.format, 'ad-json');
        assert.deepEqual(
          ad.body.items.map((item) => item.reasonCode),
          ['already_stored', 'already_stored', 'already_stored'],
        );
        const disclosed = await org.people.helpdesk.browser.request<KeyPageReply>(
          'GET',
          path('/keys?q=F2031425'),
        );
        assert.equal(disclosed.body.items[0]?.rotationRequired, true);
        const graphDevice = await org.people.helpdesk.browser.request<KeyPageReply>(
          'GET',
          path('/keys?q=2F3A4B5C'),
        );
        assert.equal(graphDevice.body.items[0]?.deviceName, '4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f');
        const missing = await upload('mbam-recovery-keys.csv', true);
        assert.equal(missing.body.items[2]?.reasonCode, 'no_recovery_password');
      });

      it("puts a later export's keys on the devices and drives it holds, where a newer key ends a rotation mark", async () => {
        const send = (csv: Buffer) =>
          org.people.admin.browser.request<ImportReply>('POST', path('/import?dryRun=false'), {
            body: { filename: 'BitLockerKeys.csv', contentBase64: csv.toString('base64') },
          });
        const first = await send(
          entraCsv([
            [
              '0A7B3C4D-1111-4E5F-8A9B-0C1D2E3F4A5B',
              'ACME-WS-0931',
              'Operating system volume',
              '2024-01-02T08:00:00Z',
            ],
            [
              '0A7B3C4D-2222-4E5F-8A9B-0C1D2E3F4A5B',
              'ACME-WS-0932',
              'Operating system volume',
              '2024-01-02T08:00:00Z',
            ],
          ]),
        );
        assert.equal(first.body.added, 2);
        const [older] = (
          await org.people.helpdesk.browser.request<KeyPageReply>(
            'GET',
            path('/keys?q=0A7B3C4D1111'),
          )
        ).body.items;
        assert.ok(older);
        await org.people.helpdesk.browser.request('POST', path(`/keys/${older.id}/reveal`), {
          body: { reason: 'hardware-repair' },
        });

        const second = await send(
          entraCsv([
            [
              '0A7B3C4D-3333-4E5F-8A9B-0C1D2E3F4A5B',
              'acme-ws-0931',
              'Operating system volume',
              '2024-06-01T08:00:00Z',
            ],
            [
              '0A7B3C4D-4444-4E5F-8A9B-0C1D2E3F4A5B',
              'acme-ws-0931',
              'Fixed data volume',
              '2024-06-01T08:05:00Z',
            ],
          ]),
        );
        assert.equal(second.body.added, 2);
        const keys = await org.people.helpdesk.browser.request<KeyPageReply>(
          'GET',
          path('/keys?q=0A7B3C4D'),
        );
        const byKeyId = new Map(keys.body.items.map((key) => [key.protectorId.slice(0, 13), key]));
        const newer = byKeyId.get('0A7B3C4D-3333');
        assert.equal(byKeyId.get('0A7B3C4D-1111')?.rotationRequired, false, 'a newer key arrived');
        assert.equal(newer?.deviceId, older.deviceId, 'the same device');
        assert.equal(newer.deviceName, 'acme-ws-0931', 'the latest spelling');
        const device = await org.people.helpdesk.browser.request<DeviceAnswer>(
          'GET',
          path(`/devices/${older.deviceId}`),
        );
        const drives = device.body.device.drives.map((drive) => [
          drive.type,
          drive.currentKey?.protectorId.slice(0, 13),
          drive.previousKeys.map((key) => key.protectorId.slice(0, 13)),
        ]);
        assert.deepEqual(drives.sort(), [
          ['fixed', '0A7B3C4D-4444', []],
          ['os', '0A7B3C4D-3333', ['0A7B3C4D-1111']],
        ]);
        const devices = await org.people.helpdesk.browser.request<z.infer<typeof devicePage>>(
          'GET',
          path('/devices'),
        );
        const named = devices.body.items.filter((device) => /^acme-ws-0931$/i.test(device.name));
        assert.deepEqual(
          named.map((device) => device.lastSeenAt),
          ['2024-06-01T08:05:00.000Z'],
        );
      });

      it('leaves every key of an import that fails in a later batch covered by an audit event', async () => {
        const db = server.ctx.db;
        const keyIds = Array.from({ length: 5001 }, () => {
          const hex = randomBytes(16).toString('hex').toUpperCase();
          return [
            hex.slice(0, 8),
            hex.slice(8, 12),
            hex.slice(12, 16),
            hex.slice(16, 20),
            hex.slice(20),
          ].join('-');
        });
        const file = entraCsv(
          keyIds.map((keyId, index) => [
            keyId,
            `CUT-${String(index % 40).padStart(2, '0')}`,
            'Operating system volume',
            '2024-05-01T08:00:00Z',
          ]),
        );
        // The database refuses the last key, which falls in the second batch.
        const refused = (keyIds.at(-1) ?? '').replaceAll('-', '');
        if (kind.name === 'sqlite') {
          await sql`create trigger refuse_key before insert on recovery_keys
            when new.protector_hex = ${sql.lit(refused)}
            begin select raise(abort, 'refused'); end`.execute(db);
        } else {
          await sql`create function refuse_key() returns trigger language plpgsql as $$
            begin raise exception 'refused'; end $$`.execute(db);
          await sql`create trigger refuse_key before insert on recovery_keys for each row
            when (new.protector_hex = ${sql.lit(refused)}) execute function refuse_key()`.execute(
            db,
          );
        }
        const storedKeys = async () =>
          Number(
            (
              await db
                .selectFrom('recovery_keys')
                .select((eb) => eb.fn.countAll().as('count'))
                .executeTakeFirstOrThrow()
            ).count,
          );
        const send = () =>
          org.people.admin.browser.request<ImportReply>('POST', path('/import?dryRun=false'), {
            body: { filename: 'cut-off.csv', contentBase64: file.toString('base64') },
          });
        const before = await storedKeys();
        const failed = await send();
        assert.equal(failed.status, 500, JSON.stringify(failed.body));
        await sql`drop trigger refuse_key ${sql.raw(kind.name === 'sqlite' ? '' : 'on recovery_keys')}`.execute(
          db,
        );
        const storedBeforeFailure = (await storedKeys()) - before;
        assert.equal(storedBeforeFailure, 5000, 'the first batch stays stored');

        const importEvents = async () =>
          (
            await org.people.auditor.browser.request<{ events: OrganisationAuditEvent[] }>(
              'GET',
              path('/audit?action=keys_imported&limit=200'),
            )
          ).body.events.filter((event) => event.details.fileName === 'cut-off.csv');
        const [first, ...none] = await importEvents();
        assert.deepEqual(none, []);
        assert.deepEqual(
          [first?.details.batch, first?.details.batches, first?.details.added],
          [1, 2, storedBeforeFailure],
        );

        const again = await send();
        assert.equal(again.status, 200, JSON.stringify(again.body));
        assert.deepEqual([again.body.added, again.body.skipped], [1, 5000]);
        const events = await importEvents();
        assert.equal(events.length, 2);
        assert.notEqual(events[0]?.details.importId, events[1]?.details.importId);
        assert.deepEqual(
          [events[0]?.details.batch, events[0]?.details.batches, events[0]?.details.skipped],
          [1, 1, 5000],
        );
        const added = events.reduce((sum, event) => sum + Number(event.details.added), 0);
        assert.equal(added, (await storedKeys()) - before, 'every stored key is in an event');
        const verified = await server.ctx.audit.verify(db);
        assert.equal(verified.problem, undefined);
      });

      it('says what it expected for a file it does not know, and keeps the import from others', async () => {
        const unknown = await org.people.admin.browser.request<ErrorReply>(
          'POST',
          path('/import?dryRun=true'),
          {
            body: {
              filename: 'people.csv',
              contentBase64: Buffer.from('a,b\r\n1,2\r\n').toString('base64'),
            },
          },
        );
        assert.equal(unknown.status, 400);
        assert.match(unknown.body.error.message, /Entra ID or Intune CSV/);
        for (const role of ['member', 'auditor'] as const) {
          const refused = await upload('graph-recovery-keys.json', true, org.people[role].browser);
          assert.ok(refused.status === 403 || refused.status === 404, String(refused.status));
        }
        const helpdesk = await upload(
          'graph-recovery-keys.json',
          true,
          org.people.helpdesk.browser,
        );
        assert.equal(helpdesk.status, 200);
      });
    },
  );
}
