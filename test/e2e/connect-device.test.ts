import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { keyholdBin, repoRoot, runKeyhold } from '../support/cli.js';
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

/** `keyhold login` running in the background; resolves the link it prints, then its exit. */
function startLogin(url: string, configDir: string) {
  const child = spawn(process.execPath, [keyholdBin, 'login', url, '--device-name', 'ada-laptop'], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: configDir },
  });
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const link = new Promise<{ link: string; code: string }>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /\(or open (\S+\?code=([A-Z]{4}-[A-Z]{4}))\)/.exec(stderr);
      if (match?.[1] && match[2]) resolve({ link: match[1], code: match[2] });
    });
    child.on('close', () => {
      reject(new Error(`login ended early:\n${stderr}`));
    });
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
  return { link, exited };
}

describe('connecting a device in the browser', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let browser: Browser;
  const configDir = mkdtempSync(join(tmpdir(), 'keyhold-connect-'));

  before(async () => {
    server = await startKeyhold();
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await server.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  it('approves keyhold login on the Connect a device page and disconnects it from Security', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    const ada = newPerson('Ada Lovelace');
    await signUp(page, server.url, ada);

    const login = startLogin(server.url, configDir);
    const { link, code } = await login.link;
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Connect a device' }).waitFor();
    assert.equal(await page.getByLabel('Code shown in the terminal').inputValue(), code);
    await assertAccessible(page, 'the Connect a device page');
    await page.getByRole('button', { name: 'Continue' }).click();

    // The heading is the page's own words; the name the requester chose is quoted data.
    await page.getByRole('heading', { level: 2, name: 'Connect this device?' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: /ada-laptop/ }).count(), 0);
    await page.getByText('“ada-laptop”').waitFor();
    await page.getByText('Keyhold CLI').waitFor();
    // The code came in the link: approving needs the person to say it matches the terminal.
    const connect = page.getByRole('button', { name: 'Connect', exact: true });
    assert.equal(await connect.isDisabled(), true);
    const matches = page.getByLabel(`The code ${code} is the one my terminal shows`);
    await assertAccessible(page, 'the device confirmation');
    await screenshot(page, 'connect-device');
    await matches.check();
    await connect.click();
    await page.getByRole('status').getByText('“ada-laptop” is connected').waitFor();

    const result = await login.exited;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.includes(`Logged in as Ada Lovelace <${ada.email}>`));

    await page.goto(`${server.url}/security`);
    const devices = page.getByRole('region', { name: 'Connected devices' });
    await devices.getByText('ada-laptop · Keyhold CLI').waitFor();
    await devices.getByRole('button', { name: 'Disconnect ada-laptop' }).click();
    await devices.getByText('No devices are connected.').waitFor();

    const whoami = await runKeyhold(['whoami'], { env: { XDG_CONFIG_HOME: configDir } });
    assert.equal(whoami.code, 1);
    assert.match(whoami.stdout, /no longer works \(revoked or expired\)/);
    assert.deepEqual(problems.errors, []);
    await context.close();
  });

  it('says plainly when a code is wrong', async () => {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await signUp(page, server.url, newPerson('Grace Hopper'));
    await page.goto(`${server.url}/connect-device`);
    await page.getByLabel('Code shown in the terminal').fill('BBBB-CCCC');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').getByText('That code is not valid or has expired').waitFor();
    assert.deepEqual(problems.errors, []);
    await context.close();
  });
});
