import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  browserSkip,
  launchChromium,
  newPerson,
  openContext,
  signUp,
  startKeyhold,
  type KeyholdServer,
} from './browser.js';

describe('next= after sign-in stays on this origin', { skip: browserSkip }, () => {
  let server: KeyholdServer;
  let browser: Browser;
  const person = newPerson('Radia Perlman');

  before(async () => {
    server = await startKeyhold();
    browser = await launchChromium();
    const { context } = await openContext(browser);
    await signUp(await context.newPage(), server.url, person);
    await context.close();
  });
  after(async () => {
    await browser.close();
    await server.stop();
  });

  /** Signs in from a fresh browser at /sign-in?next=<raw>; returns where it ended up. */
  async function signInWithNext(rawNext: string) {
    const { context, problems } = await openContext(browser);
    const page = await context.newPage();
    await page.goto(`${server.url}/sign-in?next=${rawNext}`);
    await page.getByLabel('Email address').fill(person.email);
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Password').fill(person.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return { context, page, problems };
  }

  for (const hostile of [
    '/%5Cevil.example',
    '/%09/evil.example',
    '/%0A/evil.example',
    '/%0D/evil.example',
    '%2F%2Fevil.example',
    '/.//evil.example',
    'https://evil.example/',
  ]) {
    it(`goes to the library for next=${hostile}, with no page error`, async () => {
      const { context, page, problems } = await signInWithNext(hostile);
      await page.getByRole('heading', { level: 1, name: 'Recovery keys' }).waitFor();
      assert.equal(page.url(), `${server.url}/keys`);
      assert.deepEqual(problems.errors, []);
      await context.close();
    });
  }

  it('follows a path on this origin, query included', async () => {
    const { context, page, problems } = await signInWithNext(
      encodeURIComponent('/find?keyId=1A2B3C4D'),
    );
    await page.waitForURL(`${server.url}/find?keyId=1A2B3C4D`);
    assert.deepEqual(problems.errors, []);
    await context.close();
  });
});
