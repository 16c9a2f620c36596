import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import { testPassword, uniqueEmail } from '../../../../test/server/key-library.js';
import { SimulatedDevice } from '../../../../test/support/simulated-device.js';
import { generateRecoveryPassword } from '../../../bitlocker/recovery-password-generation.js';
import { generateLuksRecoveryPassphrase } from '../../../luks/recovery-passphrase-generation.js';
import type { CreatedEnrollmentToken, EscrowAnswer } from '../../../api/enrollment.js';
import type { ErrorBody } from '../../../api/errors.js';
import type { KeyPage } from '../../../api/keys.js';

for (const kind of databaseKinds) {
  describe(`LUKS keys escrowed by a device on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let owner: TestBrowser;
    let orgId = '';
    let laptop: SimulatedDevice;
    let accessToken = '';
    const agentClient = () => new TestBrowser(server.app, 'keyhold-agent/0.1.0 (linux)');

    before(async () => {
      server = await startTestApp(kind.name);
      owner = new TestBrowser(server.app);
      await owner.signup(uniqueEmail('owner'), testPassword);
      const org = await owner.request<{ organisation: { id: string } }>('POST', '/api/v1/orgs', {
        body: { name: 'Acme Linux' },
      });
      orgId = org.body.organisation.id;
      const token = await owner.request<CreatedEnrollmentToken>(
        'POST',
        `/api/v1/orgs/${orgId}/enrollment-tokens`,
        { body: { name: 'Servers' } },
      );
      const client = agentClient();
      laptop = new SimulatedDevice(
        (method, url, options) => client.request(method, url, options),
        'BUILD-01',
        randomUUID(),
        server.clock.now,
      );
      assert.equal((await laptop.enroll(token.body.secret)).status, 201);
      accessToken = await laptop.accessToken();
    });
    after(() => server.close());

    function escrow(drive: Record<string, unknown>) {
      return agentClient().request<EscrowAnswer & ErrorBody>('POST', '/api/v1/agent/escrow', {
        body: { sequence: ++laptop.sequence, drives: [drive] },
        headers: { authorization: `Bearer ${accessToken}` },
      });
    }

    function search(q: string) {
      return owner.request<KeyPage>('GET', `/api/v1/orgs/${orgId}/keys?q=${encodeURIComponent(q)}`);
    }

    it('stores a LUKS key with its UUID and slot, found by a prefix of the UUID in any form', async () => {
      const uuid = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
      const keyId = randomUUID().toUpperCase();
      const passphrase = generateLuksRecoveryPassphrase();
      const stored = await escrow({
        label: '/dev/nvme0n1p3',
        type: 'os',
        volumeGuid: uuid,
        protectorTypes: ['luks-keyslot', 'luks-keyslot'],
        keys: [{ keyId, sealedSecret: laptop.seal(passphrase), luksSlot: 1 }],
      });
      assert.equal(stored.status, 200, JSON.stringify(stored.body));
      assert.deepEqual(stored.body.stored, [{ keyId, outcome: 'created' }]);

      for (const q of ['9a8b7c6d', '9A8B-7C6D-5E', '{9a8b7c6d-5e4f']) {
        const found = await search(q);
        assert.deepEqual(
          found.body.items.map((key) => [key.kind, key.luks, key.protectorId]),
          [['luks', { uuid, slot: 1 }, keyId]],
          q,
        );
      }
      // A prefix that is neither this UUID's nor its key's finds nothing.
      assert.deepEqual((await search('9a8b7c6e')).body.items, []);

      const [key] = (await search('9a8b')).body.items;
      assert.ok(key);
      const revealed = await owner.request<{ recoveryPassword: string }>(
        'POST',
        `/api/v1/orgs/${orgId}/keys/${key.id}/reveal`,
        { body: { reason: 'pin-forgotten' } },
      );
      assert.equal(revealed.body.recoveryPassword, passphrase);
    });

    it('refuses a LUKS key without a LUKS UUID, or whose secret is not a recovery passphrase', async () => {
      const noUuid = await escrow({
        label: '/dev/sda2',
        type: 'fixed',
        volumeGuid: null,
        protectorTypes: [],
        keys: [
          {
            keyId: randomUUID(),
            sealedSecret: laptop.seal(generateLuksRecoveryPassphrase()),
            luksSlot: 2,
          },
        ],
      });
      assert.equal(noUuid.status, 400);
      assert.match(noUuid.body.error.message, /names no LUKS UUID/);

      const bitlockerPassword = await escrow({
        label: '/dev/sda2',
        type: 'fixed',
        volumeGuid: '1e0f9a8b-7c6d-4a3b-8c2d-9a8b7c6d5e4f',
        protectorTypes: [],
        keys: [
          {
            keyId: randomUUID(),
            sealedSecret: laptop.seal(generateRecoveryPassword()),
            luksSlot: 2,
          },
        ],
      });
      assert.equal(bitlockerPassword.status, 400);
      assert.match(bitlockerPassword.body.error.message, /not 8 groups of 5 digits/);
      assert.deepEqual((await search('1e0f9a8b')).body.items, [], 'nothing was stored');
    });
  });
}
