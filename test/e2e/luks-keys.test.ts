import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { CreatedEnrollmentToken } from '../../src/api/enrollment.js';
import { generateLuksRecoveryPassphrase } from '../../src/luks/recovery-passphrase-generation.js';
import type { ApiResponse } from '../server/harness.js';
import { SimulatedDevice } from '../support/simulated-device.js';
import {
  assertAccessible,
  browserSkip,
  callApi,
  launchChromium,
  newPerson,
  openContext,
  screenshot,
  signUp,
  startKeyhold,
  type KeyholdServer,
} from './browser.js';

describe('LUKS keys in the web app', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let browser: Browser;

  before(async () => {
    server = await startKeyhold();
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await server.stop();
  });

  it('names a LUKS key by its volume UUID and key slot in the library and on the device page, in English and Bokmål', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await signUp(page, server.url, newPerson('Linus Admin'));
    const { organisation } = await callApi<{ organisation: { id: string } }>(
      page,
      'POST',
      '/orgs',
      { name: 'Penguin Works' },
    );
    const token = await callApi<CreatedEnrollmentToken>(
      page,
      'POST',
      `/orgs/${organisation.id}/enrollment-tokens`,
      { name: 'Build servers' },
    );

    // A Linux computer escrows the recovery passphrase of its LUKS2 root volume, as the agent does.
    const send = async <T>(
      method: 'GET' | 'POST',
      url: string,
      options: { body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<ApiResponse<T>> => {
      const response = await fetch(`${server.url}${url}`, {
        method,
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(options.body),
      });
      return { status: response.status, body: (await response.json()) as T } as ApiResponse<T>;
    };
    const computer = new SimulatedDevice(send, 'BUILD-01');
    assert.equal((await computer.enroll(token.secret)).status, 201);
    const uuid = '5d41402a-bc4b-4a76-b971-9d911017c592';
    const escrowed = await send('POST', '/api/v1/agent/escrow', {
      headers: { authorization: `Bearer ${await computer.accessToken()}` },
      body: {
        sequence: 1,
        drives: [
          {
            label: '/dev/nvme0n1p3',
            type: 'os',
            volumeGuid: uuid,
            protectorTypes: ['luks-keyslot', 'luks-keyslot'],
            keys: [
              {
                keyId: randomUUID().toUpperCase(),
                sealedSecret: computer.seal(generateLuksRecoveryPassphrase()),
                luksSlot: 1,
              },
            ],
          },
        ],
      },
    });
    assert.equal(escrowed.status, 200, JSON.stringify(escrowed.body));

    await page.goto(`${server.url}/orgs/${organisation.id}`);
    await page.getByRole('searchbox', { name: 'Key ID or device name' }).fill('5d41402a');
    const row = page.getByRole('table').getByRole('row').filter({ hasText: 'BUILD-01' });
    await row.getByText(`LUKS 5d41402a-bc4b-4a76-b971-9d911017c592 · key slot 1`).waitFor();
    assert.equal(await row.locator('.key-id strong').textContent(), '5d41402a');

    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('link', { name: 'BUILD-01' }).click();
    const drive = page.locator('.drive-card');
    await drive.getByText(`LUKS UUID: ${uuid}`).waitFor();
    await drive.locator('.key-line').getByText('key slot 1').waitFor();
    await assertAccessible(page, "a LUKS volume's device page");
    await screenshot(page, 'device-page-luks');

    await page.evaluate(() => {
      localStorage.setItem('keyhold.language', 'nb');
    });
    await page.reload();
    await drive.getByText(`LUKS-UUID: ${uuid}`).waitFor();
    await drive.locator('.key-line').getByText('nøkkelplass 1').waitFor();
    assert.deepEqual(problems.errors, []);
    await context.close();
  });
});
