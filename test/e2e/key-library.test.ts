import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { readRecoveryKeyFile, writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
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
  type PageProblems,
} from './browser.js';
import { pdftotextSkip } from '../support/requirements.js';

/** Block `block` (1-8) changed so it is no longer a multiple of 11. */
function withWrongBlock(recoveryPassword: string, block: number): string {
  const blocks = recoveryPassword.split('-');
  const value = Number(blocks[block - 1]);
  blocks[block - 1] = String(value >= 11 ? value - 1 : value + 1).padStart(6, '0');
  return blocks.join('-');
}

/** Reading the sheet's text needs pdftotext; the rest of the walk-through does not. */
const canReadSheets = pdftotextSkip() === false;

describe('the recovery key library', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let browser: Browser;

  before(async () => {
    // The shortest idle time the server allows, so the vault's own lock can be watched.
    server = await startKeyhold({ args: ['--vault-idle-minutes', '1'] });
    browser = await launchChromium();
  });

  after(async () => {
    await browser.close();
    await server.stop();
  });

  /** A signed-up person in a fresh browser profile. */
  async function signedInPage(
    name: string,
    options: { width?: number; height?: number } = {},
  ): Promise<{
    page: Page;
    problems: PageProblems;
    password: string;
    close: () => Promise<void>;
  }> {
    const { context, problems } = await openContext(browser, options);
    const page = await context.newPage();
    const person = newPerson(name);
    await signUp(page, server.url, person);
    return { page, problems, password: person.password, close: () => context.close() };
  }

  it('adds a key by pasting it, pointing at the wrong block first', async () => {
    const session = await signedInPage('Ada Lovelace');
    const { page, problems } = session;
    const key = newKey('LAPTOP-ADA');
    await page.getByRole('heading', { name: 'No recovery keys yet' }).waitFor();
    await assertAccessible(page, 'the empty library');
    await screenshot(page, 'library-empty');

    await page.getByRole('link', { name: 'Add a key' }).first().click();
    const password = page.getByLabel('Recovery key (48 digits)');
    await password.fill(withWrongBlock(key.recoveryPassword, 3));
    const wrong = key.recoveryPassword.split('-')[2];
    await page.getByText(/^Block 3 \(\d{6}\) cannot be right/).waitFor();
    assert.notEqual(await page.locator('.block-meter .block').nth(2).textContent(), wrong);
    assert.match(
      (await page.locator('.block-meter .block').nth(2).getAttribute('class')) ?? '',
      /block-bad/,
    );
    await assertAccessible(page, 'the add-key page with a wrong block');
    await screenshot(page, 'add-key-wrong-block');

    await password.fill(key.recoveryPassword.replaceAll('-', ' '));
    await page.getByText('All 8 blocks are valid.').waitFor();
    await page.getByLabel('Key ID').fill(`{${key.protectorId.toLowerCase()}}`);
    await page.getByLabel('Device name').fill(key.deviceName);
    await page.getByRole('button', { name: 'Save key' }).click();

    await page.getByRole('heading', { level: 1, name: 'LAPTOP-ADA · C:' }).waitFor();
    await page
      .locator('.key-id strong', { hasText: key.protectorId.slice(0, 8) })
      .first()
      .waitFor();
    await assertAccessible(page, 'the key page');
    await screenshot(page, 'key-detail');

    await page.getByRole('link', { name: 'Back to recovery keys' }).first().click();
    const row = page.getByRole('row', { name: new RegExp(key.protectorId.slice(0, 8)) });
    await row.getByText('LAPTOP-ADA').waitFor();
    assert.equal(await row.locator('.key-id strong').textContent(), key.protectorId.slice(0, 8));
    await row.getByText('No offline copy').waitFor();
    await assertAccessible(page, 'the library');
    await screenshot(page, 'library');
    assert.deepEqual(problems.errors, []);
    await session.close();
  });

  it('imports a dropped recovery file after showing what it found', async () => {
    const session = await signedInPage('Annie Easley');
    const { page, problems } = session;
    const key = newKey('ignored');
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-import-'));
    const file = writeRecoveryKeyFile({ ...key, language: 'nb' });
    const path = join(dir, file.fileName);
    writeFileSync(path, file.bytes);

    await page.goto(`${server.url}/keys/new`);
    await page.getByLabel('Choose a file').setInputFiles(path);
    await page.getByRole('heading', { name: `Found 1 key in ${file.fileName}` }).waitFor();
    const found = page.getByRole('row', { name: new RegExp(key.protectorId.slice(0, 8)) });
    await found.getByText('Will be added').waitFor();
    await page.getByLabel('Device name (optional, if the file does not say)').fill('ROCKET-LAB');
    await assertAccessible(page, 'the import preview');
    await screenshot(page, 'add-key-import-preview');
    await page.getByRole('button', { name: 'Add 1 key' }).click();
    await page.getByText('Added 1, updated 0.').waitFor();
    rmSync(dir, { recursive: true, force: true });

    await page.goto(`${server.url}/keys`);
    await page.getByRole('row', { name: /ROCKET-LAB/ }).waitFor();
    assert.deepEqual(problems.errors, []);
    await session.close();
  });

  it('finds a key from a phone by its 8 characters and reveals it', async () => {
    const session = await signedInPage('Grace Hopper', { width: 375, height: 812 });
    const { page, problems } = session;
    const [wanted, other] = [newKey('DESKTOP-GRACE'), newKey('NAS', 'D:')];
    await addKeysThroughApi(page, [wanted, other]);

    await page.goto(`${server.url}/find`);
    await page
      .getByLabel('Key ID (8 characters)')
      .fill(wanted.protectorId.slice(0, 8).toLowerCase());
    await page.getByText(/In the account of Grace Hopper/).waitFor();
    await page.getByText('DESKTOP-GRACE · C:').waitFor();
    assert.equal(await page.getByText('NAS · D:').count(), 0);
    await assertAccessible(page, 'the find page with a match');
    await screenshot(page, 'find-match-375');

    await page.getByRole('button', { name: 'Show recovery key' }).click();
    const shown = page.locator('.recovery-key');
    await shown.waitFor();
    assert.equal(
      (await shown.locator('.recovery-block').allTextContents()).join('-'),
      wanted.recoveryPassword,
    );
    await page.getByText(/^Hides again in [01]:\d\d$/).waitFor();
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    await assertAccessible(page, 'a revealed key at 375 px');
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.equal(overflow, 0, 'the key page fits a 375 px wide screen');
    await screenshot(page, 'reveal-375');
    await page.getByRole('button', { name: 'Hide' }).click();
    assert.equal(await shown.count(), 0);

    // The library's search box filters by Key ID prefix as you type.
    await page.goto(`${server.url}/keys`);
    await page.getByLabel('Search by Key ID or device').fill(other.protectorId.slice(0, 6));
    await page.getByText(/^1 key matches/).waitFor();
    assert.equal(await page.getByRole('row', { name: /DESKTOP-GRACE/ }).count(), 0);
    await page.getByRole('row', { name: /NAS/ }).waitFor();
    await screenshot(page, 'library-search-375');
    assert.deepEqual(problems.errors, []);
    await session.close();
  });

  it('downloads the recovery file and the sheet, asking where each copy was kept', async () => {
    const session = await signedInPage('Katherine Johnson');
    const { page, problems } = session;
    const key = newKey('WORKSTATION-KJ');
    const [added] = await addKeysThroughApi(page, [key]);
    await page.goto(`${server.url}/keys/${added?.id ?? ''}`);
    await page.getByText(/This key has no offline copy/).waitFor();

    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download recovery file' }).click(),
    ]);
    assert.equal(file.suggestedFilename(), `BitLocker Recovery Key ${key.protectorId}.TXT`);
    const readBack = readRecoveryKeyFile(readFileSync(await file.path()));
    assert.deepEqual(readBack, [
      { protectorId: key.protectorId, recoveryPassword: key.recoveryPassword },
    ]);
    // A download is not a backup by itself: the page asks where the copy went.
    const where = page.getByRole('group', { name: 'Where did you keep it?' });
    await where.waitFor();
    await assertAccessible(page, 'the "Where did you keep it?" question');
    await where.getByRole('button', { name: 'Not yet' }).click();
    await page.getByText(/^Nothing recorded\./).waitFor();
    assert.equal(await page.getByText(/This key has no offline copy/).count(), 1);

    const [sheet] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Print sheet' }).click(),
    ]);
    const pdf = readFileSync(await sheet.path());
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    if (canReadSheets) {
      const text = spawnSync('pdftotext', [await sheet.path(), '-'], { encoding: 'utf8' }).stdout;
      assert.ok(text.includes(key.protectorId), 'the sheet shows the Key ID');
      // The sheet sets the eight blocks out one by one, so compare the 6-digit groups in order.
      const groups = [...text.matchAll(/\b\d{6}\b/g)].map(([group]) => group).join('-');
      assert.ok(groups.includes(key.recoveryPassword), 'the sheet shows the recovery key');
    }
    await where.getByRole('button', { name: 'Printed' }).click();
    await page.getByText('Recorded: Paper.').waitFor();
    // The printed copy is an offline copy.
    await page.reload();
    await page.getByRole('heading', { name: 'Back up' }).waitFor();
    assert.equal(await page.getByText(/This key has no offline copy/).count(), 0);
    await screenshot(page, 'key-detail-backed-up');
    assert.deepEqual(problems.errors, []);
    await session.close();
  });

  it('deletes only after "I have saved a copy", and restores from Recently deleted', async () => {
    const session = await signedInPage('Hedy Lamarr');
    const { page, problems } = session;
    const key = newKey('TABLET-HEDY');
    const [added] = await addKeysThroughApi(page, [key]);
    await page.goto(`${server.url}/keys/${added?.id ?? ''}`);

    const remove = page.getByRole('button', { name: 'Delete key' });
    assert.equal(await remove.isDisabled(), true);
    await page.getByLabel('I have saved a copy of this key somewhere else').check();
    await remove.click();
    await page.getByRole('heading', { name: 'This key is deleted' }).waitFor();

    await page.goto(`${server.url}/keys`);
    await page.getByRole('heading', { name: 'No recovery keys yet' }).waitFor();
    await page.getByRole('link', { name: 'Recently deleted' }).click();
    await page.getByText('TABLET-HEDY').waitFor();
    await assertAccessible(page, 'Recently deleted');
    await screenshot(page, 'recently-deleted');
    await page.getByRole('button', { name: /Restore/ }).click();
    await page.getByText('Restored.').waitFor();
    await page.getByRole('link', { name: 'Back to recovery keys' }).click();
    await page.getByRole('row', { name: /TABLET-HEDY/ }).waitFor();
    assert.deepEqual(problems.errors, []);
    await session.close();
  });

  it('keeps vault keys behind an unlock with a countdown, and locks again', async () => {
    const session = await signedInPage('Joan Clarke');
    const { page, problems } = session;
    const key = newKey('ENIGMA-PC');
    const [added] = await addKeysThroughApi(page, [key]);
    await page.goto(`${server.url}/keys/${added?.id ?? ''}`);
    await page.getByRole('button', { name: 'Move into vault' }).click();
    await page.getByRole('button', { name: 'Move out of vault' }).waitFor();
    await page.getByRole('button', { name: 'Show recovery key' }).click();
    await page.getByText('This key is in your vault, which is locked.').waitFor();

    await page.getByRole('link', { name: 'Unlock the vault' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Vault' }).waitFor();
    await page.getByText('Locked', { exact: true }).waitFor();
    await page.getByText('While the vault is locked only the names are shown.').waitFor();
    await page.getByText(/ENIGMA-PC/).waitFor();
    assert.equal(await page.getByRole('link', { name: /ENIGMA-PC/ }).count(), 0);
    await assertAccessible(page, 'the locked vault');
    await screenshot(page, 'vault-locked');

    // No authenticator app is set up, so the vault asks for the password.
    await page.getByLabel('Password').fill(session.password);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    const countdown = page.getByRole('timer');
    await countdown.getByText(/^Locks again in \d+:\d\d$/).waitFor();
    const before = await countdown.textContent();
    await page.waitForTimeout(2100);
    assert.notEqual(await countdown.textContent(), before, 'the countdown runs');
    await assertAccessible(page, 'the unlocked vault');
    await screenshot(page, 'vault-unlocked');

    await page.getByRole('link', { name: /ENIGMA-PC/ }).click();
    await page.getByRole('button', { name: 'Show recovery key' }).click();
    await page.locator('.recovery-key').waitFor();
    await page.goto(`${server.url}/vault`);
    await page.getByRole('button', { name: 'Lock now' }).click();
    await page.getByText('Locked', { exact: true }).waitFor();

    // Left alone, the vault locks itself when the countdown runs out, and the page shows it.
    await page.getByLabel('Password').fill(session.password);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await countdown.getByText(/^Locks again in [01]:\d\d$/).waitFor();
    await page.getByText('Locked', { exact: true }).waitFor({ timeout: 90_000 });
    await page.getByText('While the vault is locked only the names are shown.').waitFor();
    assert.deepEqual(problems.errors, []);
    await session.close();
  });

  it('never shows one account the keys of another, and finds across both', async () => {
    const session = await signedInPage('Mary Jackson');
    const { page, problems } = session;
    const marysKey = newKey('MARY-LAPTOP');
    await addKeysThroughApi(page, [marysKey]);

    await page.getByRole('button', { name: 'Account menu for Mary Jackson' }).click();
    await page.getByRole('button', { name: 'Add another account' }).click();
    await page.getByRole('link', { name: 'Create an account' }).click();
    await signUp(page, server.url, newPerson('Dorothy Vaughan'));
    await page.getByRole('heading', { name: 'No recovery keys yet' }).waitFor();

    // Find searches every signed-in account and says which one holds the key.
    await page.goto(`${server.url}/find`);
    await page.getByLabel('Key ID (8 characters)').fill(marysKey.protectorId.slice(0, 8));
    await page.getByText(/In the account of Mary Jackson/).waitFor();
    await page.getByRole('button', { name: 'Show recovery key' }).click();
    await page.getByRole('button', { name: 'Account menu for Mary Jackson' }).waitFor();
    await page.locator('.recovery-key').waitFor();

    await page.getByRole('button', { name: 'Account menu for Mary Jackson' }).click();
    await page.getByRole('button', { name: /Dorothy Vaughan/ }).click();
    await page.getByRole('heading', { name: 'No recovery keys yet' }).waitFor();
    assert.equal(await page.getByText('MARY-LAPTOP').count(), 0);
    assert.deepEqual(problems.errors, []);
    await session.close();
  });

  it('pages through 5,000 keys without putting them all on screen', async () => {
    const session = await signedInPage('Radia Perlman');
    const { page, problems } = session;
    const keys = Array.from({ length: 5000 }, (_, index) =>
      newKey(`PC-${String(index).padStart(4, '0')}`),
    );
    await addKeysThroughApi(page, keys);
    await page.goto(`${server.url}/keys`);
    await page.getByText('Keys 1–50').waitFor();
    assert.equal(await page.locator('tbody tr').count(), 50);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('Keys 51–100').waitFor();
    assert.equal(await page.locator('tbody tr').count(), 50);
    await page
      .getByLabel('Search by Key ID or device')
      .fill(keys[4321]?.protectorId.slice(0, 8) ?? '');
    await page.getByText(/^1 key matches/).waitFor();
    await screenshot(page, 'library-5000-search');
    assert.deepEqual(problems.errors, []);
    await session.close();
  });
});
