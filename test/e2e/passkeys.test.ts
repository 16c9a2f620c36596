import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  addVirtualAuthenticator,
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

async function signOut(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: `Account menu for ${name}` }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Choose an account' }).waitFor();
}

describe('passkeys in the browser', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let browser: Browser;
  let url: string;

  before(async () => {
    server = await startKeyhold();
    url = server.url.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  });

  after(async () => {
    await browser.close();
    await server.stop();
  });

  it('adds a passkey under Security, then signs in with it alone and as the second step', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await addVirtualAuthenticator(page);
    const grace = newPerson('Grace Hopper');
    await signUp(page, url, grace);

    await page.goto(`${url}/security`);
    const section = page.getByRole('region', { name: 'Passkeys' });
    await section.getByText('No passkeys yet.').waitFor();
    await section.getByRole('button', { name: 'Add a passkey' }).click();
    await section.getByLabel('Name').fill('This laptop');
    await section.getByLabel('Your password').fill(grace.password);
    await section.getByRole('button', { name: 'Create passkey' }).click();
    await section.getByRole('paragraph').filter({ hasText: 'This laptop' }).waitFor();
    await assertAccessible(page, 'the security page with a passkey');
    await screenshot(page, 'security-passkeys');

    await section.getByRole('button', { name: 'Rename This laptop' }).click();
    await section.getByLabel('Name').fill('Grace’s laptop');
    await section.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('paragraph').filter({ hasText: 'Grace’s laptop' }).waitFor();

    // Without a password: the identify step offers the passkey.
    await signOut(page, grace.name);
    await page.goto(`${url}/sign-in?new`);
    await assertAccessible(page, 'the identify step');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('heading', { level: 1, name: 'Recovery keys' }).waitFor();

    // With the password, the passkey is the second step.
    await signOut(page, grace.name);
    await page.goto(`${url}/sign-in?new`);
    await page.getByLabel('Email address').fill(grace.email);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password').fill(grace.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Use a passkey' }).waitFor();
    await assertAccessible(page, 'the passkey second step');
    await page.getByRole('button', { name: 'Use a passkey' }).click();
    await page.getByRole('heading', { level: 1, name: 'Recovery keys' }).waitFor();

    // The vault opens with the passkey too.
    await page.goto(`${url}/vault`);
    await page.getByRole('button', { name: 'Open with a passkey' }).click();
    await page.getByText('Unlocked', { exact: true }).waitFor();

    await page.goto(`${url}/security`);
    await section.getByRole('button', { name: 'Remove Grace’s laptop' }).click();
    await section.getByText('No passkeys yet.').waitFor();
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('fits a 375 px screen', async () => {
    const { context } = await openContext(browser, { width: 375, height: 800 });
    const page = await context.newPage();
    await page.goto(`${url}/sign-in?new`);
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `the page is ${width} px wide`);
    await assertAccessible(page, 'the identify step at 375 px');
    await context.close();
  });
});
