import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { keyholdBin, repoRoot } from '../support/cli.js';
import { requirement } from '../support/requirements.js';
import type { NewKey } from '../../src/api/keys.js';

/**
 * Shared pieces of the browser tests: a real `keyhold serve` on a random port with its own data
 * directory, Debian's Chromium, axe-core checks and screenshots under test-output/screenshots.
 */
export const chromiumPath = '/usr/bin/chromium';

export const browserSkip = requirement(
  'browser',
  existsSync(chromiumPath) ? undefined : `Chromium is not installed at ${chromiumPath}`,
);

export const screenshotDir = join(repoRoot, 'test-output', 'screenshots');

export interface KeyholdServer {
  url: string;
  dataDir: string;
  stop: () => Promise<void>;
}

/**
 * Builds the web app if its sources changed, then starts the server as `npm start` does. With
 * KEYHOLD_E2E_URL set, the tests use that already running server instead (while debugging).
 */
export async function startKeyhold({
  args = [],
}: { args?: string[] } = {}): Promise<KeyholdServer> {
  const running = process.env.KEYHOLD_E2E_URL;
  if (running)
    return { url: running.replace(/\/$/, ''), dataDir: '', stop: () => Promise.resolve() };
  const build = spawnSync(process.execPath, [join(repoRoot, 'scripts/build-web-if-stale.js')], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  assert.equal(build.status, 0, `building the web app failed:\n${build.stderr}`);

  const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-e2e-'));
  const child = spawn(
    process.execPath,
    [keyholdBin, 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...args],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        KEYHOLD_LOG_LEVEL: 'info',
        // Password hashing as cheap as argon2id allows: the tests sign up dozens of people.
        KEYHOLD_ARGON2_MEMORY_KIB: '1024',
        KEYHOLD_ARGON2_ITERATIONS: '1',
        NO_COLOR: '1',
      },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      reject(new Error(`keyhold serve did not start within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /serving on (http:\/\/[\d.:]+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`keyhold serve exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    dataDir,
    stop: async () => {
      await stopProcess(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface PageProblems {
  /** Console errors and uncaught exceptions, CSP refusals included. */
  errors: string[];
}

/**
 * A fresh browser profile (its own cookies and storage). Every console error and page crash is
 * collected, so a test can assert the app ran cleanly under its CSP.
 */
export async function openContext(
  browser: Browser,
  options: { locale?: string; width?: number; height?: number } = {},
): Promise<{ context: BrowserContext; problems: PageProblems }> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-GB',
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    acceptDownloads: true,
  });
  const problems: PageProblems = { errors: [] };
  context.on('page', (page) => {
    watch(page, problems);
  });
  return { context, problems };
}

function watch(page: Page, problems: PageProblems): void {
  page.on('console', (message) => {
    // Failed requests the app handles itself (a 401 before sign-in) are logged by Chromium too.
    if (message.type() === 'error' && !message.text().includes('Failed to load resource')) {
      problems.errors.push(message.text());
    }
  });
  page.on('pageerror', (error) => {
    problems.errors.push(String(error));
  });
}

const axeSource = readFileSync(join(repoRoot, 'node_modules/axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page and fails on serious or critical violations. The script goes in
 * through the DevTools protocol, not a <script> tag, so the page keeps its strict CSP.
 */
export async function assertAccessible(page: Page, where: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: Document) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document);
    return result.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.map((node) => node.target.join(' ')),
      }));
  });
  assert.deepEqual(violations, [], `accessibility problems on ${where}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

let accountCounter = 0;

/** A person with an email address no other test uses. */
export function newPerson(name: string): { name: string; email: string; password: string } {
  accountCounter += 1;
  const tag = `${process.pid}-${Date.now().toString(36)}-${accountCounter}`;
  return {
    name,
    email: `${name.toLowerCase().replace(/\W+/g, '.')}.${tag}@example.org`,
    password: `lantern orbit ${tag} meadow`,
  };
}

/** Creates an account through the sign-up page and waits for the empty library. */
export async function signUp(
  page: Page,
  baseUrl: string,
  person: { name: string; email: string; password: string },
): Promise<void> {
  await page.goto(`${baseUrl}/sign-up`);
  await page.getByLabel('Your name').fill(person.name);
  await page.getByLabel('Email address').fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { level: 1, name: 'Recovery keys' }).waitFor();
}

/** A key as the tests add it: always with a device name and a drive. */
export type TestKey = NewKey & Required<Pick<NewKey, 'deviceName' | 'volume'>>;

export function newKey(deviceName: string, label = 'C:'): TestKey {
  return {
    protectorId: randomUUID().toUpperCase(),
    recoveryPassword: generateRecoveryPassword(),
    deviceName,
    volume: { label, type: label === 'C:' ? 'os' : 'fixed' },
  };
}

/**
 * Adds keys as the tab's active account through the same API the app uses (from inside the
 * page, so the browser's cookie, CSRF token and origin are the real ones).
 */
export async function addKeysThroughApi(page: Page, keys: TestKey[]): Promise<{ id: string }[]> {
  return page.evaluate(async (toAdd) => {
    const account = sessionStorage.getItem('keyhold.activeAccount') ?? '';
    const listing = (await (await fetch('/api/v1/auth/accounts')).json()) as { csrfToken: string };
    const added: { id: string }[] = [];
    let next = 0;
    // Inline, not a named function: tsx would wrap a named one in a helper the page lacks.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < toAdd.length) {
          const key = toAdd[next++];
          const response = await fetch('/api/v1/keys', {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-keyhold-account': account,
              'x-keyhold-csrf': listing.csrfToken,
            },
            body: JSON.stringify({ ...key, source: 'manual' }),
          });
          if (!response.ok) throw new Error(`adding a key failed: ${await response.text()}`);
          added.push(((await response.json()) as { key: { id: string } }).key);
        }
      }),
    );
    return added;
  }, keys);
}

/** Calls the API as the tab's active account, with the browser's own cookie and CSRF token. */
export async function callApi<T>(
  page: Page,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const account = sessionStorage.getItem('keyhold.activeAccount') ?? '';
      const listing = (await (await fetch('/api/v1/auth/accounts')).json()) as {
        csrfToken: string;
      };
      const response = await fetch(`/api/v1${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          'x-keyhold-account': account,
          'x-keyhold-csrf': listing.csrfToken,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${await response.text()}`);
      return response.status === 204 ? null : ((await response.json()) as unknown);
    },
    { method, path, body },
  ) as Promise<T>;
}

/**
 * Passkeys with Chromium's virtual authenticator (DevTools protocol, WebAuthn domain): a
 * platform authenticator with resident keys that verifies its user at once. WebAuthn refuses
 * IP addresses as the site, so the pages are opened on localhost.
 */
export async function addVirtualAuthenticator(page: Page): Promise<void> {
  const session = await page.context().newCDPSession(page);
  await session.send('WebAuthn.enable');
  await session.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}
