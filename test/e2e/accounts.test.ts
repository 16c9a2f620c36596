import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as OTPAuth from 'otpauth';
import type { Browser } from 'playwright-core';
import {
  assertAccessible,
  browserSkip,
  launchChromium,
  newPerson,
  openContext,
  screenshot,
  signUp,
  startKeyhold,
  type KeyholdServer,
} from './browser.js';

describe('accounts in the browser', { skip: browserSkip }, () => {
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

  it('creates an account, signs out and signs in again by email first', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    const ada = newPerson('Ada Lovelace');

    await page.goto(`${server.url}/sign-up`);
    await assertAccessible(page, 'the sign-up page');
    await screenshot(page, 'sign-up');
    await signUp(page, server.url, ada);

    await page.getByRole('button', { name: 'Account menu for Ada Lovelace' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    // The picker remembers Ada, signed out.
    await page.getByRole('heading', { level: 1, name: 'Choose an account' }).waitFor();
    const adaRow = page
      .getByRole('list', { name: 'Accounts in this browser' })
      .getByRole('button', { name: /Ada Lovelace/ });
    await adaRow.getByText('Signed out').waitFor();
    await adaRow.click();

    await page.getByRole('heading', { level: 1, name: 'Hi, Ada Lovelace' }).waitFor();
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('That email and password do not match').waitFor();
    await assertAccessible(page, 'the password step');
    await screenshot(page, 'sign-in-password');
    await page.getByLabel('Password').fill(ada.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Recovery keys' }).waitFor();
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('keeps two accounts side by side with a picker, and never mixes their data', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    const first = newPerson('Grace Hopper');
    const second = newPerson('Alan Turing');
    await signUp(page, server.url, first);

    await page.getByRole('button', { name: 'Account menu for Grace Hopper' }).click();
    await page.getByRole('button', { name: 'Add another account' }).click();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await signUp(page, server.url, second);
    await page.getByRole('button', { name: 'Account menu for Alan Turing' }).waitFor();

    await page.goto(`${server.url}/sign-in`);
    await page.getByRole('heading', { level: 1, name: 'Choose an account' }).waitFor();
    const picker = page.getByRole('list', { name: 'Accounts in this browser' });
    for (const person of [first, second]) {
      const row = picker.getByRole('button', { name: new RegExp(person.name) });
      await row.getByText(person.email).waitFor();
      await row.getByText('Signed in').waitFor();
    }
    await picker.getByRole('button', { name: 'Use another account' }).waitFor();
    const initials = picker.getByRole('button', { name: /Grace Hopper/ }).locator('.avatar');
    assert.equal(await initials.textContent(), 'GH');
    await assertAccessible(page, 'the account picker');
    await screenshot(page, 'account-picker');

    await picker.getByRole('button', { name: /Grace Hopper/ }).click();
    await page.getByRole('button', { name: 'Account menu for Grace Hopper' }).waitFor();

    // A second tab of the same browser can act as the other account at the same time.
    const other = await context.newPage();
    await other.goto(`${server.url}/sign-in`);
    const otherPicker = other.getByRole('list', { name: 'Accounts in this browser' });
    await otherPicker.getByRole('button', { name: /Alan Turing/ }).click();
    await other.getByRole('button', { name: 'Account menu for Alan Turing' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Account menu for Grace Hopper' }).waitFor();

    // Signing out of one leaves the other signed in.
    await other.getByRole('button', { name: 'Account menu for Alan Turing' }).click();
    await other.getByRole('button', { name: 'Sign out', exact: true }).click();
    await otherPicker
      .getByRole('button', { name: /Alan Turing/ })
      .getByText('Signed out')
      .waitFor();
    await otherPicker
      .getByRole('button', { name: /Grace Hopper/ })
      .getByText('Signed in')
      .waitFor();
    await screenshot(other, 'account-picker-signed-out');
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('sets up two-step verification, then signs in with a recovery code', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    const person = newPerson('Margaret Hamilton');
    await signUp(page, server.url, person);

    await page.getByRole('link', { name: 'Security' }).click();
    await page.getByRole('heading', { level: 1, name: 'Security' }).waitFor();
    await page.getByText('This browser').waitFor();
    await page.getByRole('button', { name: 'Set up' }).click();
    await page.getByLabel('Confirm with your password').fill(person.password);
    await page.getByRole('button', { name: 'Set up' }).click();
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    const secret = ((await page.locator('code.secret').textContent()) ?? '').replaceAll(' ', '');
    await assertAccessible(page, 'the security page during TOTP setup');
    await screenshot(page, 'security-totp-setup');

    const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret) }).generate();
    await page.getByLabel('Code from the app').fill(code);
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('heading', { name: 'Recovery codes' }).waitFor();
    const codes = await page.locator('.recovery-codes li').allTextContents();
    assert.equal(codes.length, 10);
    await screenshot(page, 'security-recovery-codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText(/^On: signing in/).waitFor();

    await page.getByRole('button', { name: 'Account menu for Margaret Hamilton' }).click();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page
      .getByRole('list', { name: 'Accounts in this browser' })
      .getByRole('button', { name: /Margaret Hamilton/ })
      .click();
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Two-step verification' }).waitFor();
    await assertAccessible(page, 'the second-factor step');
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(codes[0] ?? '');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { level: 1, name: 'Recovery keys' }).waitFor();

    await page.goto(`${server.url}/activity`);
    await page.getByRole('heading', { level: 1, name: 'Activity' }).waitFor();
    await page.getByText('Signed in', { exact: true }).first().waitFor();
    await assertAccessible(page, 'the activity page');
    await screenshot(page, 'activity');
    assert.deepEqual(problems.errors, []);
    await context.close();
  });
});
