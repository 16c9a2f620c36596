import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  addKeysThroughApi,
  assertAccessible,
  browserSkip,
  launchChromium,
  newKey,
  newPerson,
  openContext,
  screenshot,
  signUp,
  startKeyhold,
  type KeyholdServer,
} from './browser.js';

describe('honest backups and the activity that names keys', { skip: browserSkip }, () => {
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

  it('records the downloaded file where the person kept it, and shows it in the activity', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await signUp(page, server.url, newPerson('Grace Hopper'));
    const key = newKey('Laptop');
    const [added] = await addKeysThroughApi(page, [key]);
    await page.goto(`${server.url}/keys/${added?.id ?? ''}`);
    await page.getByText(/This key has no offline copy/).waitFor();

    await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download recovery file' }).click(),
    ]);
    const where = page.getByRole('group', { name: 'Where did you keep it?' });
    await where.waitFor();
    // The question takes the focus, so a keyboard or screen reader user lands on it.
    assert.equal(
      await page.evaluate(() => document.activeElement?.textContent),
      'Where did you keep it?',
    );
    await where.getByRole('button', { name: 'On a USB drive' }).click();
    await page.getByText('Recorded: USB drive.').waitFor();
    assert.equal(await where.count(), 0, 'the question goes once answered');
    await page.reload();
    await page.getByRole('heading', { name: 'Back up' }).waitFor();
    assert.equal(await page.getByText(/This key has no offline copy/).count(), 0);

    // The vault is a place, not a copy: moving the key there records no backup.
    await page.getByRole('button', { name: 'Move into vault' }).click();
    await page.getByRole('button', { name: 'Move out of vault' }).waitFor();
    const history = page.locator('.history li');
    assert.equal(await history.count(), 2, 'USB drive and account, no vault');

    const shortId = key.protectorId.slice(0, 8);
    await page.goto(`${server.url}/activity`);
    const recorded = page.locator('.activity li', { hasText: 'Backup recorded' });
    await recorded.waitFor();
    assert.match(await recorded.innerText(), new RegExp(`Key ${shortId} · Laptop · USB drive`));
    const downloaded = page.locator('.activity li', { hasText: 'Recovery file downloaded' });
    assert.match(await downloaded.innerText(), new RegExp(`Key ${shortId} · Laptop`));
    await assertAccessible(page, 'the activity with keys named');
    await screenshot(page, 'activity-keys-named');

    await page.getByLabel('Language').selectOption('nb');
    await page
      .locator('.activity li', { hasText: 'Sikkerhetskopi registrert' })
      .getByText(`Nøkkel ${shortId} · Laptop · USB-minne`)
      .waitFor();
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('answering "Not yet" records nothing, and saving a stored key again keeps its details', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await signUp(page, server.url, newPerson('Mary Jackson'));
    const key = newKey('Office PC', 'D:');
    const [added] = await addKeysThroughApi(page, [key]);
    await page.goto(`${server.url}/keys/${added?.id ?? ''}`);
    await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Print sheet' }).click(),
    ]);
    const where = page.getByRole('group', { name: 'Where did you keep it?' });
    await where.getByRole('button', { name: 'Not yet' }).click();
    await page.getByText(/^Nothing recorded\./).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Back up' }).waitFor();
    assert.equal(await page.getByText(/This key has no offline copy/).count(), 1);

    // The form's drive fields start at C: and the system drive: left alone, they are no answer.
    await page.goto(`${server.url}/keys/new`);
    await page.getByLabel('Recovery key (48 digits)').fill(key.recoveryPassword);
    await page.getByLabel('Key ID').fill(key.protectorId);
    await page.getByLabel('Device name').fill('Office PC');
    await page.getByRole('button', { name: 'Save key' }).click();
    await page
      .getByText('This key was already in your library. Its device and drive details were kept.')
      .waitFor();
    assert.match(await page.locator('.facts').innerText(), /D:/);

    await page.goto(`${server.url}/keys/new`);
    await page.getByLabel('Recovery key (48 digits)').fill(key.recoveryPassword);
    await page.getByLabel('Key ID').fill(key.protectorId);
    await page.getByLabel('Device name').fill('Reception PC');
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByText('This key was already in your library. Updated: device name.').waitFor();
    assert.deepEqual(problems.errors, []);
    await context.close();
  });
});
