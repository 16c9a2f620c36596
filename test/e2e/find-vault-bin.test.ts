import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as OTPAuth from 'otpauth';
import type { Browser } from 'playwright-core';
import { writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import {
  addKeysThroughApi,
  assertAccessible,
  browserSkip,
  callApi,
  launchChromium,
  newKey,
  newPerson,
  openContext,
  screenshot,
  signUp,
  startKeyhold,
  type KeyholdServer,
} from './browser.js';

/** "Locks again in 1:00" → 60. */
function countdownSeconds(text: string | null): number {
  const match = /(\d+):(\d\d)/.exec(text ?? '');
  assert.ok(match, `no countdown in ${String(text)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

describe('find my key, the vault, uploaded files and the bin', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let browser: Browser;

  before(async () => {
    server = await startKeyhold({ args: ['--vault-idle-minutes', '1'] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await server.stop();
  });

  it('keeps the typed Key ID through sign-in, and clears results once the input is invalid', async () => {
    const person = newPerson('Elizebeth Friedman');
    const key = newKey('CIPHER-PC');
    {
      const { context } = await openContext(browser);
      const page = await context.newPage();
      await signUp(page, server.url, person);
      await addKeysThroughApi(page, [key]);
      await context.close();
    }
    const shortId = key.protectorId.slice(0, 8);
    const { context, problems } = await openContext(browser, { width: 375, height: 800 });
    const page = await context.newPage();
    await page.goto(`${server.url}/find`);
    const input = page.getByLabel('Key ID (8 characters)');
    await input.fill(shortId.toLowerCase());
    await page.getByText('Sign in to search your Keyhold accounts.').waitFor();
    await page.getByRole('main').getByRole('link', { name: 'Sign in' }).click();

    await page.getByLabel('Email address').fill(person.email);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/find?keyId=${shortId}`);
    assert.equal(await input.inputValue(), shortId);
    // Signed in, the ID typed before is searched straight away.
    const found = page.getByRole('heading', { name: `Found: keys starting with ${shortId}` });
    await found.waitFor();
    await page.getByText(/CIPHER-PC/).waitFor();

    await input.fill(`${shortId.slice(0, 6)}O0`);
    await page.getByText('Check for O (letter) in place of 0 (zero).', { exact: false }).waitFor();
    assert.equal(await found.count(), 0, 'no results for an ID that cannot exist');
    assert.equal(await page.getByText(/CIPHER-PC/).count(), 0);

    const missing = shortId.startsWith('F') ? '00000000' : 'FFFFFFFF';
    await input.fill(missing);
    const noMatch = page.getByText(`has a key starting with ${missing}`, { exact: false });
    await noMatch.waitFor();
    await input.fill('FF');
    assert.equal(await noMatch.count(), 0, 'the old "no match" goes when the input is too short');
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('offers only the factor the account has, with a countdown right from the start', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    const person = newPerson('Agnes Driscoll');
    await signUp(page, server.url, person);
    await page.goto(`${server.url}/vault`);
    await page.getByLabel('Password').waitFor();
    assert.equal(await page.getByRole('button', { name: /authenticator/i }).count(), 0);
    assert.equal(await page.getByLabel('Code from your authenticator app').count(), 0);

    // The page has been open a while before the unlock: the countdown starts at the idle time.
    await page.waitForTimeout(3000);
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    const countdown = page.getByRole('timer');
    await countdown.waitFor();
    const first = countdownSeconds(await countdown.textContent());
    assert.ok(first <= 60 && first >= 55, `the countdown starts at ${String(first)} s of 60`);

    const { secret } = await callApi<{ secret: string }>(page, 'POST', '/auth/totp/enrol', {
      password: person.password,
    });
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) });
    await callApi(page, 'POST', '/auth/totp/confirm', { totp: totp.generate() });
    await page.getByRole('button', { name: 'Lock now' }).click();
    await page.reload();
    await page.getByLabel('Code from your authenticator app').waitFor();
    assert.equal(await page.getByLabel('Password').count(), 0);
    assert.equal(await page.getByRole('button', { name: /password/i }).count(), 0);
    await assertAccessible(page, 'the vault asking for the authenticator code');
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('lists uploaded files, moves them in and out of the vault, and empties the bin', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    const person = newPerson('Genevieve Grotjan');
    await signUp(page, server.url, person);
    const file = writeRecoveryKeyFile(newKey('PURPLE-PC'));
    await callApi(page, 'POST', '/keys/import', {
      filename: file.fileName,
      contentBase64: file.bytes.toString('base64'),
    });
    const [binned] = await addKeysThroughApi(page, [newKey('OLD-LAPTOP')]);
    await callApi(page, 'DELETE', `/keys/${binned?.id ?? ''}`, { confirmSaved: true });

    await page.goto(`${server.url}/keys`);
    const files = page.getByRole('region', { name: 'Uploaded key files' });
    await files.locator('.file-name', { hasText: file.fileName }).waitFor();
    await files.getByRole('button', { name: `Move into the vault ${file.fileName}` }).click();
    await files.getByText('In the vault', { exact: true }).waitFor();
    await files.getByRole('button', { name: `Take out of the vault ${file.fileName}` }).click();
    await files.getByText('The vault is locked. Unlock it to continue.').waitFor();
    await assertAccessible(page, 'the uploaded files');
    await screenshot(page, 'uploaded-files');

    await page.goto(`${server.url}/vault`);
    await page.getByText(file.fileName).waitFor();
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByRole('timer').waitFor();
    await page.goto(`${server.url}/keys`);
    await files.getByRole('button', { name: `Take out of the vault ${file.fileName}` }).click();
    await files.getByRole('button', { name: `Move into the vault ${file.fileName}` }).waitFor();
    assert.equal(await files.getByText('In the vault', { exact: true }).count(), 0);

    await page.goto(`${server.url}/keys/deleted`);
    await page.getByText(/OLD-LAPTOP/).waitFor();
    await page.getByRole('button', { name: /^Delete permanently/ }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.getByText('It cannot be restored afterwards', { exact: false }).waitFor();
    await assertAccessible(page, 'the bin asking to confirm');
    await screenshot(page, 'bin-confirm-purge');
    await confirm.getByRole('button', { name: 'Yes, delete permanently' }).click();
    await page.getByRole('status').getByText('Deleted permanently.').waitFor();
    await page.reload();
    await page.getByText('Nothing has been deleted.').waitFor();
    const audit = await callApi<{ events: { action: string }[] }>(page, 'GET', '/audit');
    assert.ok(audit.events.some((event) => event.action === 'key_purged'));
    assert.deepEqual(problems.errors, []);
    await context.close();
  });
});
