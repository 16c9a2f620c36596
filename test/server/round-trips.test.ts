import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signedInStateTables } from '../../src/db/signed-in-state.js';
import { databaseKinds } from './databases.js';
import { waitUntil } from '../support/wait.js';
import { startTestApp, TestBrowser, type TestApp } from './harness.js';
import {
  addKey,
  randomKey,
  revealKey,
  testPassword,
  uniqueEmail,
  type KeySummaryReply,
} from './key-library.js';

const postgres = databaseKinds.find((kind) => kind.name === 'postgres');

/**
 * Every statement is a round trip to PostgreSQL, and on a busy server round trips are what a
 * request waits for: the hot requests are pinned here so one more is a deliberate choice.
 */
describe('statements a signed-in request sends to PostgreSQL', { skip: postgres?.skip }, () => {
  let server: TestApp;
  let browser: TestBrowser;

  before(async () => {
    server = await startTestApp('postgres');
    browser = new TestBrowser(server.app);
    await browser.signup(uniqueEmail('round-trips'), testPassword);
    // The first requests start listening for changes to the signed-in state.
    await addKey(browser, randomKey());
    await waitUntil(
      () => server.ctx.database.changeStamp(signedInStateTables) !== undefined,
      'the server listening for changes',
    );
    // One request fills the cache of signed-in browsers.
    assert.equal((await browser.request('GET', '/api/v1/keys')).status, 200);
  });
  after(() => server.close());

  async function statementsOf(request: () => Promise<unknown>): Promise<string[]> {
    return (await statementsAndResult(request)).sent;
  }

  async function statementsAndResult<T>(request: () => Promise<T>) {
    const sent: string[] = [];
    const stop = server.ctx.database.watchStatements((text) => sent.push(text));
    try {
      return { result: await request(), sent };
    } finally {
      stop();
    }
  }

  it('searches by Key ID prefix in one statement', async (t) => {
    const key = await addKey(browser, randomKey());
    const sent = await statementsOf(async () => {
      const found = await browser.request<{ items: unknown[] }>(
        'GET',
        `/api/v1/keys?q=${key.protectorId.slice(0, 8)}`,
      );
      assert.equal(found.status, 200);
      assert.equal(found.body.items.length, 1);
    });
    t.diagnostic(sent.join('\n'));
    assert.equal(sent.length, searchStatements);
  });

  it('adds a key in a pinned number of statements, and answers with the key as stored', async (t) => {
    const { result: added, sent } = await statementsAndResult(() => addKey(browser, randomKey()));
    t.diagnostic(sent.join('\n'));
    assert.equal(sent.length, addStatements);
    const stored = await browser.request<{ key: KeySummaryReply }>(
      'GET',
      `/api/v1/keys/${added.id}`,
    );
    assert.deepEqual(added, stored.body.key);
  });

  it('adds a key on a new device and drive in as many statements', async () => {
    const { result: added, sent } = await statementsAndResult(() =>
      addKey(
        browser,
        randomKey({
          deviceName: `Grace-Desktop ${randomUUID().slice(0, 8)}`,
          volume: { label: 'D:', type: 'fixed', volumeGuid: randomUUID().toUpperCase() },
        }),
      ),
    );
    assert.equal(sent.length, addStatements);
    const stored = await browser.request<{ key: KeySummaryReply }>(
      'GET',
      `/api/v1/keys/${added.id}`,
    );
    assert.deepEqual(added, stored.body.key);
    const found = await browser.request<{ items: KeySummaryReply[] }>(
      'GET',
      `/api/v1/keys?q=${encodeURIComponent(added.deviceName.split(' ')[0] ?? '')}`,
    );
    assert.ok(
      found.body.items.some((item) => item.id === added.id),
      'found by device name',
    );
  });

  it('reveals a key, with its audit event, in a pinned number of statements', async (t) => {
    const key = await addKey(browser, randomKey());
    const sent = await statementsOf(async () => {
      assert.equal((await revealKey(browser, key.id)).status, 200);
    });
    t.diagnostic(sent.join('\n'));
    assert.equal(sent.length, revealStatements);
  });
});

/** The key page, read in one statement; the signed-in browser comes from the cache. */
const searchStatements = 1;
/**
 * The key, device and drive looked up; then the key, its sealed password, first backup (and
 * device and drive when new) written with the audit event in one statement.
 */
const addStatements = 2;
/**
 * The key read; then its audit event appended and its sealed password read in one statement, so
 * what is handed over is read in the transaction that records it.
 */
const revealStatements = 2;
