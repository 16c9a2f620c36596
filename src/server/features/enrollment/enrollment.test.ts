import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { databaseKinds } from '../../../../test/server/databases.js';
import { startTestApp, TestBrowser, type TestApp } from '../../../../test/server/harness.js';
import { testPassword, uniqueEmail } from '../../../../test/server/key-library.js';
import { SimulatedDevice } from '../../../../test/support/simulated-device.js';
import { generateDeviceKeyPair } from '../../../crypto/device-assertion.js';
import { generateRecoveryPassword } from '../../../bitlocker/recovery-password-generation.js';
import type {
  CreatedEnrollmentToken,
  EnrolledDevice,
  EnrollmentToken,
  EscrowAnswer,
} from '../../../api/enrollment.js';
import type { ErrorBody } from '../../../api/errors.js';
import type { DeviceAnswer } from '../../../api/keys.js';

for (const kind of databaseKinds) {
  describe(`device enrollment on ${kind.name}`, { skip: kind.skip }, () => {
    let server: TestApp;
    let owner: TestBrowser;
    let member: TestBrowser;
    let memberEmail = '';
    let orgId = '';
    /** A client with no cookie, as the agent is. */
    let agentClient: TestBrowser;

    before(async () => {
      server = await startTestApp(kind.name);
      owner = new TestBrowser(server.app);
      member = new TestBrowser(server.app);
      agentClient = new TestBrowser(server.app, 'keyhold-agent/0.1.0 (win32)');
      await owner.signup(uniqueEmail('owner'), testPassword);
      memberEmail = uniqueEmail('mia');
      await member.signup(memberEmail, testPassword);
      const org = await owner.request<{ organisation: { id: string } }>('POST', '/api/v1/orgs', {
        body: { name: 'Acme IT' },
      });
      orgId = org.body.organisation.id;
      const added = await owner.request('POST', `/api/v1/orgs/${orgId}/members`, {
        body: { email: memberEmail, role: 'member' },
      });
      assert.equal(added.status, 201);
    });
    after(() => server.close());

    const device = (hostname?: string, hardwareId?: string) =>
      new SimulatedDevice(
        (method, url, options) => agentClient.request(method, url, options),
        hostname,
        hardwareId,
        server.clock.now,
      );

    async function newToken(body: Record<string, unknown> = {}) {
      const created = await owner.request<CreatedEnrollmentToken>(
        'POST',
        `/api/v1/orgs/${orgId}/enrollment-tokens`,
        { body: { name: 'Laptops', ...body } },
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body;
    }

    async function escrow(
      enrolled: SimulatedDevice,
      accessToken: string,
      drives: unknown[],
      sequence = ++enrolled.sequence,
    ) {
      return agentClient.request<EscrowAnswer & ErrorBody>('POST', '/api/v1/agent/escrow', {
        body: { sequence, drives },
        headers: { authorization: `Bearer ${accessToken}` },
      });
    }

    it('shows a token secret once, lists it with its uses, and lets only owners and admins make one', async () => {
      const { token, secret } = await newToken({ maxUses: 3, expiresInDays: 2 });
      assert.match(secret, /^khe_[A-Za-z0-9_-]{40,}$/);
      assert.equal(token.status, 'usable');
      assert.equal(token.maxUses, 3);

      const listed = await owner.request<{ items: EnrollmentToken[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/enrollment-tokens`,
      );
      assert.ok(listed.body.items.some((item) => item.id === token.id && item.uses === 0));
      assert.doesNotMatch(JSON.stringify(listed.body), new RegExp(secret));

      const byMember = await member.request<ErrorBody>(
        'POST',
        `/api/v1/orgs/${orgId}/enrollment-tokens`,
        { body: { name: 'Mine' } },
      );
      assert.equal(byMember.status, 403);

      const enrolled = device();
      assert.equal((await enrolled.enroll(secret)).status, 201);
      const after = await owner.request<{ items: EnrollmentToken[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/enrollment-tokens`,
      );
      assert.equal(after.body.items.find((item) => item.id === token.id)?.uses, 1);
    });

    it('lets a one-time token enroll one computer, and a revoked or expired one none', async () => {
      const once = await newToken();
      assert.equal((await device().enroll(once.secret)).status, 201);
      const second = await device().enroll(once.secret);
      assert.equal(second.status, 401);
      assert.match(JSON.stringify(second.body), /unknown, expired, used up or revoked/);

      const revoked = await newToken({ maxUses: 10 });
      const revoke = await owner.request<{ token: EnrollmentToken }>(
        'POST',
        `/api/v1/orgs/${orgId}/enrollment-tokens/${revoked.token.id}/revoke`,
      );
      assert.equal(revoke.body.token.status, 'revoked');
      assert.equal((await device().enroll(revoked.secret)).status, 401);

      const expiring = await newToken({ maxUses: 10, expiresInDays: 1 });
      server.clock.advance(86_400_000 + 1000);
      assert.equal((await device().enroll(expiring.secret)).status, 401);
    });

    it('never takes more uses than a reusable token allows, however many computers enroll at once', async () => {
      const { token, secret } = await newToken({ maxUses: 5 });
      const answers = await Promise.all(Array.from({ length: 40 }, () => device().enroll(secret)));
      const statuses = answers.map((answer) => answer.status);
      assert.equal(statuses.filter((status) => status === 201).length, 5, statuses.join(','));
      const listed = await owner.request<{ items: EnrollmentToken[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/enrollment-tokens`,
      );
      const after = listed.body.items.find((item) => item.id === token.id);
      assert.equal(after?.uses, 5);
      assert.equal(after.status, 'used-up');
    });

    it('evaluates no more guessed tokens from one address than the allowance, however many arrive at once', async () => {
      const guesser = new TestBrowser(server.app, 'curl/8.5.0');
      const guesses = await Promise.all(
        Array.from({ length: 200 }, () =>
          new SimulatedDevice((method, url, options) =>
            guesser.request(method, url, options),
          ).enroll(`khe_${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`),
        ),
      );
      const statuses = guesses.map((answer) => answer.status);
      assert.equal(statuses.filter((status) => status === 401).length, 100);
      assert.equal(statuses.filter((status) => status === 429).length, 100);
    });

    it('gives an access token only for a fresh challenge signed with the enrolled key', async () => {
      const { secret } = await newToken();
      const laptop = device();
      await laptop.enroll(secret);

      const challenge = await laptop.challenge();
      const assertion = laptop.assertion(challenge);
      const first = await laptop.exchange(assertion);
      assert.equal(first.status, 200);
      assert.equal(first.body.token_type, 'Bearer');
      assert.ok(first.body.expires_in <= 600);

      const replayed = await laptop.exchange(assertion);
      assert.equal(replayed.status, 401);
      assert.match(JSON.stringify(replayed.body), /already used/);

      const stranger = generateDeviceKeyPair();
      const forged = await laptop.exchange(
        laptop.assertion(await laptop.challenge(), stranger.privateKeyPem),
      );
      assert.equal(forged.status, 401);
      assert.match(JSON.stringify(forged.body), /signature does not match/);
      const forgedInBokmal = await laptop.exchange(
        laptop.assertion(await laptop.challenge(), stranger.privateKeyPem),
        { 'accept-language': 'nb' },
      );
      assert.equal(forgedInBokmal.status, 401);
      assert.equal(
        (forgedInBokmal.body as unknown as ErrorBody).error.message,
        'Enhetens signerte påstand ble avvist (signaturen stemmer ikke med den innrullerte ' +
          'nøkkelen). Kjør agenten på nytt; om det fortsatt feiler, rull inn enheten på nytt.',
      );

      // A burst of copies of one signed assertion gets one token.
      const burst = laptop.assertion(await laptop.challenge());
      const answers = await Promise.all(Array.from({ length: 200 }, () => laptop.exchange(burst)));
      assert.equal(answers.filter((answer) => answer.status === 200).length, 1);

      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${assertion.split('.')[1]}.AAAA`;
      const refusedUnsigned = await laptop.exchange(unsigned);
      assert.equal(refusedUnsigned.status, 401);
      assert.match(
        (refusedUnsigned.body as unknown as ErrorBody).error.message,
        /\(the assertion uses an algorithm that is not accepted\)/,
      );
      const garbled = await laptop.exchange('not.an.assertion!', { 'accept-language': 'nb' });
      assert.equal(garbled.status, 401);
      assert.match(
        (garbled.body as unknown as ErrorBody).error.message,
        /\(påstanden er feilformet\)/,
      );
    });

    it('checks a device in with one request while its access token lives, and refuses stale or forged credentials', async () => {
      const { secret } = await newToken();
      const laptop = device('PC-CHECKIN');
      await laptop.enroll(secret);

      const signed = await laptop.checkInSigned(laptop.assertion(await laptop.challenge()));
      assert.equal(signed.status, 200, JSON.stringify(signed.body));
      assert.equal(signed.body.state.deviceName, 'PC-CHECKIN');
      assert.deepEqual(signed.body.state.rotate, []);
      const accessToken = signed.body.token?.access_token ?? '';
      const quiet = await laptop.checkInWith(accessToken);
      assert.equal(quiet.status, 200);
      assert.equal(quiet.body.token, undefined, 'a held token needs no new one');
      assert.equal(quiet.body.state.enrolledDeviceId, laptop.id);

      // A challenge older than one the device already used is a replay, even unused itself.
      const older = await laptop.challenge();
      server.clock.advance(1_000);
      const newer = await laptop.challenge();
      assert.equal((await laptop.checkInSigned(laptop.assertion(newer))).status, 200);
      const stale = await laptop.checkInSigned(laptop.assertion(older));
      assert.equal(stale.status, 401);
      assert.match(JSON.stringify(stale.body), /already used/);

      // A challenge past its two minutes, one for another device, one with its content changed.
      const expiring = await laptop.challenge();
      server.clock.advance(3 * 60_000);
      const expired = await laptop.checkInSigned(laptop.assertion(expiring));
      assert.equal(expired.status, 401);
      assert.match(JSON.stringify(expired.body), /expired/);
      const other = device('PC-OTHER');
      await other.enroll((await newToken()).secret);
      const borrowed = await laptop.checkInSigned(laptop.assertion(await other.challenge()));
      assert.equal(borrowed.status, 401);
      const [encoded = '', mac = ''] = (await laptop.challenge()).slice(4).split('.');
      const fields = Buffer.from(encoded, 'base64url').toString('utf8').split('.');
      fields[2] = String(Number(fields[2]) + 86_400_000);
      const stretched = `khc_${Buffer.from(fields.join('.')).toString('base64url')}.${mac}`;
      assert.equal((await laptop.checkInSigned(laptop.assertion(stretched))).status, 401);

      // An access token past its ten minutes, and one whose content was changed.
      server.clock.advance(10 * 60_000);
      const refused = await laptop.checkInWith(accessToken);
      assert.equal(refused.status, 401);
      assert.equal((refused.body as unknown as ErrorBody).error.code, 'invalid_token');
      const [tokenBody = '', tokenMac = ''] = accessToken.slice(4).split('.');
      const claims = Buffer.from(tokenBody, 'base64url').toString('utf8').split('.');
      claims[0] = other.id;
      claims[3] = String(server.clock.now().getTime() + 600_000);
      const forged = await laptop.checkInWith(
        `kha_${Buffer.from(claims.join('.')).toString('base64url')}.${tokenMac}`,
      );
      assert.equal(forged.status, 401);
    });

    it('escrows what the device sends into its device in the library, and refuses a replayed request', async () => {
      const { secret } = await newToken({ assigneeEmail: memberEmail });
      const laptop = device('MIA-LAPTOP');
      await laptop.enroll(secret);
      const accessToken = await laptop.accessToken();

      const keyId = randomUUID().toUpperCase();
      const password = generateRecoveryPassword();
      const drives = [
        {
          label: 'C:',
          type: 'os',
          volumeGuid: '\\\\?\\Volume{4c1b2f3e-0000-0000-0000-100000000000}\\',
          protectorTypes: ['tpm-pin', 'recovery-password'],
          keys: [{ keyId, sealedSecret: laptop.seal(password) }],
        },
      ];
      const stored = await escrow(laptop, accessToken, drives);
      assert.equal(stored.status, 200, JSON.stringify(stored.body));
      assert.deepEqual(stored.body.stored, [{ keyId, outcome: 'created' }]);

      const replay = await escrow(laptop, accessToken, drives, laptop.sequence);
      assert.equal(replay.status, 409);
      assert.equal(replay.body.error.code, 'replayed_request');

      const again = await escrow(laptop, accessToken, drives);
      assert.deepEqual(again.body.stored, [{ keyId, outcome: 'unchanged' }]);

      const detail = await owner.request<DeviceAnswer>(
        'GET',
        `/api/v1/orgs/${orgId}/devices/${(await enrolledNamed('MIA-LAPTOP')).deviceId}`,
      );
      assert.equal(detail.body.device.name, 'MIA-LAPTOP');
      assert.equal(detail.body.device.assignee?.email, memberEmail);
      assert.equal(detail.body.device.drives[0]?.label, 'C:');
      assert.equal(detail.body.device.drives[0].currentKey?.protectorId, keyId);

      // A secret another device sealed does not open for this one.
      const other = device('OTHER-PC');
      await other.enroll((await newToken()).secret);
      const otherId = randomUUID().toUpperCase();
      const swapped = await escrow(laptop, accessToken, [
        { ...drives[0], keys: [{ keyId: otherId, sealedSecret: other.seal(password) }] },
      ]);
      assert.equal(swapped.status, 400);
      assert.match(
        swapped.body.error.message,
        /not sealed to the organisation's escrow key by this device/,
      );
    });

    async function enrolledNamed(name: string): Promise<EnrolledDevice> {
      const listed = await owner.request<{ items: EnrolledDevice[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/enrolled-devices`,
      );
      const found = listed.body.items.find((item) => item.deviceName === name);
      assert.ok(found, `${name} is enrolled`);
      return found;
    }

    it('refuses escrow without a device access token, from a login token or a browser', async () => {
      const refused = await owner.request<ErrorBody>('POST', '/api/v1/agent/escrow', {
        body: { sequence: 1, drives: [] },
      });
      assert.equal(refused.status, 401);
      const forged = await agentClient.request<ErrorBody>('GET', '/api/v1/agent/state', {
        headers: { authorization: `Bearer kha_${'A'.repeat(43)}` },
      });
      assert.equal(forged.status, 401);
    });

    it('makes a clone or reinstall choose between replacing and keeping both', async () => {
      const { secret } = await newToken({ maxUses: 10 });
      const hardwareId = randomUUID();
      const original = device('PC-CLONE', hardwareId);
      await original.enroll(secret);
      const originalToken = await original.accessToken();

      const reinstalled = device('PC-CLONE', hardwareId);
      const refused = await reinstalled.enroll(secret);
      assert.equal(refused.status, 409);
      assert.equal((refused.body as unknown as ErrorBody).error.code, 'already_enrolled');
      assert.match(JSON.stringify(refused.body), /clone or a reinstall/);

      const kept = await reinstalled.enroll(secret, 'keep-both');
      assert.equal(kept.status, 201);
      assert.equal(kept.body.deviceName, 'PC-CLONE (2)');
      assert.equal((await original.challenge()).length > 0, true, 'the first one still works');

      const replacing = device('PC-CLONE', hardwareId);
      const replaced = await replacing.enroll(secret, 'replace');
      assert.equal(replaced.status, 201);
      const oldState = await agentClient.request('GET', '/api/v1/agent/state', {
        headers: { authorization: `Bearer ${originalToken}` },
      });
      assert.equal(oldState.status, 401, 'a replaced enrollment stops working');
      const listed = await owner.request<{ items: EnrolledDevice[] }>(
        'GET',
        `/api/v1/orgs/${orgId}/enrolled-devices`,
      );
      const statuses = listed.body.items
        .filter((item) => item.hardwareId === hardwareId)
        .map((item) => item.status)
        .sort();
      assert.deepEqual(statuses, ['active', 'replaced', 'replaced']);
    });

    it('lets an admin retire a device: its credential stops working, its keys stay', async () => {
      const { secret } = await newToken();
      const laptop = device('PC-RETIRE');
      await laptop.enroll(secret);
      const accessToken = await laptop.accessToken();
      const keyId = randomUUID().toUpperCase();
      await escrow(laptop, accessToken, [
        {
          label: 'D:',
          type: 'fixed',
          volumeGuid: null,
          protectorTypes: ['recovery-password'],
          keys: [{ keyId, sealedSecret: laptop.seal(generateRecoveryPassword()) }],
        },
      ]);
      const signedBefore = laptop.assertion(await laptop.challenge());
      const enrolled = await enrolledNamed('PC-RETIRE');
      const byMember = await member.request(
        'POST',
        `/api/v1/orgs/${orgId}/enrolled-devices/${enrolled.id}/retire`,
      );
      assert.notEqual(byMember.status, 200);
      const retired = await owner.request<{ device: EnrolledDevice }>(
        'POST',
        `/api/v1/orgs/${orgId}/enrolled-devices/${enrolled.id}/retire`,
      );
      assert.equal(retired.body.device.status, 'retired');

      const refused = await escrow(laptop, accessToken, []);
      assert.equal(refused.status, 401);
      const checkIn = await laptop.checkInWith(accessToken);
      assert.equal(checkIn.status, 401, "a retired device's unexpired token is refused");
      assert.match(JSON.stringify(checkIn.body), /retired/);
      await assert.rejects(laptop.challenge(), /not enrolled, or it was retired/);
      const lateSigned = await laptop.checkInSigned(signedBefore);
      assert.equal(lateSigned.status, 401, 'a challenge fetched before retirement opens nothing');
      const detail = await owner.request<DeviceAnswer>(
        'GET',
        `/api/v1/orgs/${orgId}/devices/${enrolled.deviceId}`,
      );
      assert.equal(detail.body.device.drives[0]?.currentKey?.protectorId, keyId);
    });
  });
}
