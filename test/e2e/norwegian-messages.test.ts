import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import {
  addKeysThroughApi,
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

describe("the server's messages in the app's language", { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let browser: Browser;
  let dir: string;

  before(async () => {
    server = await startKeyhold();
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), 'keyhold-nb-'));
  });

  after(async () => {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows import refusals, conflicts and session devices in Bokmål', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await signUp(page, server.url, newPerson('Kari Nordmann'));
    // The person picks Bokmål in the app; the browser itself stays English.
    await page.evaluate(() => {
      localStorage.setItem('keyhold.language', 'nb');
    });

    const key = newKey('KARI-PC');
    await addKeysThroughApi(page, [key]);
    const picture = join(dir, 'bilde.png');
    writeFileSync(picture, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const other = writeRecoveryKeyFile({
      protectorId: key.protectorId,
      recoveryPassword: generateRecoveryPassword(),
      language: 'nb',
    });
    const conflicting = join(dir, other.fileName);
    writeFileSync(conflicting, other.bytes);

    await page.goto(`${server.url}/keys/new`);
    await page.getByRole('heading', { level: 1, name: 'Legg til en nøkkel' }).waitFor();
    await page.getByLabel('Velg en fil').setInputFiles(picture);
    await page
      .getByRole('alert')
      .filter({ hasText: /^bilde\.png ser ut som et PNG-bilde/ })
      .waitFor();

    await page.getByLabel('Velg en fil').setInputFiles(conflicting);
    const row = page.getByRole('row', { name: new RegExp(key.protectorId.slice(0, 8)) });
    await row.getByText(/biblioteket ditt har et annet gjenopprettingspassord/).waitFor();
    await screenshot(page, 'add-key-import-conflict-nb');

    await page.goto(`${server.url}/security`);
    // Playwright's Chromium says HeadlessChrome in its User-Agent; it is Chrome all the same.
    await page.getByText('Chrome på Linux').first().waitFor();
    assert.equal(await page.getByText(/Unknown device|Ukjent enhet| on Linux/).count(), 0);
    await screenshot(page, 'security-sessions-nb');
    // Switching the app's language rewords the list without reloading the page.
    await page.getByLabel('Språk').selectOption('en');
    await page.getByText('Chrome on Linux').first().waitFor();
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it("prints on A4 in Bokmål even where the browser's region uses Letter", async () => {
    const { context, problems } = await openContext(browser, { locale: 'en-US' });
    const page = await context.newPage();
    await signUp(page, server.url, newPerson('Ola Nordmann'));
    const [added] = await addKeysThroughApi(page, [newKey('OLA-PC')]);
    await page.goto(`${server.url}/keys/${added?.id ?? ''}`);
    // English in the US: Letter, as people there expect.
    assert.equal(await page.getByLabel('Paper size').inputValue(), 'letter');

    await page.evaluate(() => {
      localStorage.setItem('keyhold.language', 'nb');
    });
    await page.reload();
    assert.equal(await page.getByLabel('Papirstørrelse').inputValue(), 'a4');
    assert.deepEqual(problems.errors, []);
    await context.close();
  });
});
