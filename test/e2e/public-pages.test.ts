import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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

describe('pages anyone can open', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let browser: Browser;
  const admin = newPerson('Server Admin');

  before(async () => {
    server = await startKeyhold({ args: ['--server-admins', admin.email] });
    browser = await launchChromium();
  });

  after(async () => {
    await browser.close();
    await server.stop();
  });

  it('reads the backup article and sends feedback from its end', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await page.goto(`${server.url}/help`);
    await page.getByRole('link', { name: 'Back up your BitLocker recovery key' }).click();
    await page
      .getByRole('heading', { level: 1, name: 'Back up your BitLocker recovery key' })
      .waitFor();
    for (const destination of [
      'In your online account',
      'On a USB flash drive',
      'In a file',
      'On paper',
    ]) {
      await page.getByRole('heading', { level: 3, name: destination }).waitFor();
    }
    assert.equal(await page.getByText('Watch out:').count(), 4);
    assert.equal(await page.getByText('In Keyhold:').count(), 4);
    await assertAccessible(page, 'the backup article');

    await page.getByRole('button', { name: 'Yes' }).click();
    await page.getByRole('radio', { name: /^4/ }).check();
    await page.getByRole('checkbox', { name: 'Clear instructions' }).check();
    const comment = page.getByLabel('Anything else? (optional)');
    await comment.fill('Mine is 235818 357951 253979 013365 241120 245575 342914 591910');
    await page.getByRole('alert').filter({ hasText: 'This looks like a recovery key' }).waitFor();
    await comment.fill('The USB warning was useful.');
    assert.equal(await page.getByText('This looks like a recovery key').count(), 0);
    await assertAccessible(page, 'the feedback form');
    await screenshot(page, 'help-article-feedback');

    await page.getByRole('button', { name: 'Send feedback' }).click();
    await page.getByRole('status').filter({ hasText: 'Your feedback helps us' }).waitFor();
    await screenshot(page, 'help-feedback-thanks');

    // The server's administrators read it on the feedback page.
    await signUp(page, server.url, admin);
    await page.goto(`${server.url}/help`);
    await page.getByRole('link', { name: /Administrators/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Help feedback' }).waitFor();
    const row = page.getByRole('row', { name: /Back up your BitLocker recovery key/ });
    await row.getByRole('cell').first().waitFor();
    assert.deepEqual(await row.getByRole('cell').allTextContents(), ['1', '0', '4']);
    await page.getByText('The USB warning was useful.').waitFor();
    await page.getByText('Clear instructions').waitFor();
    await assertAccessible(page, 'the feedback report');
    await screenshot(page, 'admin-feedback');
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('follows a Norwegian browser, and switches language on request', async () => {
    const { context, problems } = await openContext(browser, { locale: 'nb-NO' });
    const page = await context.newPage();
    await page.goto(`${server.url}/help/back-up-recovery-key`);
    await page
      .getByRole('heading', {
        level: 1,
        name: 'Sikkerhetskopier BitLocker-gjenopprettingsnøkkelen',
      })
      .waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'nb');
    await page.getByRole('heading', { name: 'Var dette nyttig?' }).waitFor();
    await assertAccessible(page, 'the Norwegian article');
    await screenshot(page, 'help-article-nb');

    await page.getByLabel('Språk').selectOption('en');
    await page
      .getByRole('heading', { level: 1, name: 'Back up your BitLocker recovery key' })
      .waitFor();
    // The choice is remembered over the browser's language.
    await page.reload();
    await page
      .getByRole('heading', { level: 1, name: 'Back up your BitLocker recovery key' })
      .waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('shows the find page from the sign-in page, with the places to look', async () => {
    const { context, problems } = await openContext(browser, { width: 375, height: 740 });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForURL(/\/sign-in/);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await assertAccessible(page, 'the sign-in page at 375 px');
    await screenshot(page, 'sign-in-375');

    await page.getByRole('main').getByRole('link', { name: 'Find my key' }).click();
    await page.getByRole('heading', { level: 1, name: 'Find my key' }).waitFor();
    const field = page.getByLabel('Key ID (8 characters)');
    await field.fill('1a2b3o4d');
    await page.getByText('Check for O (letter) in place of 0 (zero)').waitFor();
    await field.fill('1A2B3C4D');
    for (const place of [
      'Paper',
      'USB drive',
      'Files',
      'Other accounts',
      "Your organisation's IT",
    ]) {
      await page.getByText(place, { exact: true }).waitFor();
    }
    await assertAccessible(page, 'the find page at 375 px');
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(overflow, 0, 'the find page fits a 375 px wide screen');
    await screenshot(page, 'find-signed-out-375');
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('opens deep links directly and keeps unknown API paths as JSON', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await page.goto(`${server.url}/help/recovery-screen`);
    await page
      .getByRole('heading', { level: 1, name: 'At the BitLocker recovery screen' })
      .waitFor();
    await page.goto(`${server.url}/no/such/page`);
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    const api = await fetch(`${server.url}/api/v1/no-such-endpoint`, {
      headers: { accept: 'text/html' },
    });
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type') ?? '', /json/);
    assert.deepEqual(problems.errors, []);
    await context.close();
  });
});
