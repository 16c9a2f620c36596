import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { runKeyhold } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from './databases.js';
import { startServe, type ServeProcess } from './serve-process.js';

/**
 * What `keyhold serve` writes to its console: JSON lines when stdout is not a terminal (as here,
 * and under systemd or Docker), readable lines with `--log-format pretty`.
 */

const searchedFor = '111111-222222-333333-444444-555555-666666-777777-888888';

/** What a browser opening the web app and one API call ask for, the API call with a query. */
async function browse(server: ServeProcess): Promise<void> {
  for (const path of [
    '/',
    '/assets/index-abc123.js',
    '/assets/index-abc123.css',
    '/favicon.ico',
    `/api/v1/auth/me?q=${searchedFor}`,
  ]) {
    await get(server, path);
  }
}

function get(server: ServeProcess, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(new URL(path, server.url), (response) => {
      response.resume();
      response.on('end', () => {
        resolve(response.statusCode ?? 0);
      });
    })
      .on('error', reject)
      .end();
  });
}

/** Stdout may still hold lines when the process has exited. */
async function waitForOutput(server: ServeProcess, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(server.output())) {
    if (Date.now() > deadline) {
      assert.fail(`the output never matched ${String(pattern)}:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return server.output();
}

/** The request lines (fields stripped to what a person would read), one per request logged. */
function requestLines(output: string): string[] {
  return output.split('\n').filter((line) => /\/api\/|\/assets\/|favicon|GET \/ /.test(line));
}

describe('keyhold serve log output', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('sqlite');
  });
  after(async () => {
    await database.cleanup();
  });

  it('is one JSON object per line when stdout is not a terminal, with the master-key warning at level 40 and only API requests at info', async () => {
    const server = await startServe(['--data-dir', database.dataDir]);
    await browse(server);
    assert.equal(await server.stop('SIGINT'), 0);
    const output = await waitForOutput(server, /stopped cleanly/);
    const lines = output
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: number; msg: string; req?: { url: string } });
    const warning = lines.find((line) => line.msg.includes('created a new master key'));
    assert.equal(warning?.level, 40, 'the master-key warning is a warning');
    assert.deepEqual(
      lines.filter((line) => line.req).map((line) => line.req?.url),
      ['/api/v1/auth/me'],
      'one line for the API request, none for the web app files',
    );
    assert.ok(!output.includes(searchedFor) && !output.includes('?q='), 'no query string');
    assert.match(lines.find((line) => line.msg.includes('serving on'))?.msg ?? '', /http:\/\//);
    assert.equal(lines.at(-1)?.msg, 'Keyhold stopped cleanly.');
  });

  it('logs every request at debug level', async () => {
    const server = await startServe(['--data-dir', database.dataDir, '--log-level', 'debug']);
    await browse(server);
    await server.stop();
    const logged = requestLines(server.output()).join('\n');
    for (const path of ['/assets/index-abc123.js', '/favicon.ico', '/api/v1/auth/me']) {
      assert.ok(logged.includes(`"url":"${path}"`), `${path} is logged at debug`);
    }
    assert.ok(!server.output().includes(searchedFor), 'no query string, even at debug');
  });

  it('says in Bokmål that it serves, that a master key was made and that it stopped cleanly', async () => {
    const norsk = await createTestDatabase('sqlite');
    try {
      const server = await startServe(
        ['--data-dir', norsk.dataDir, '--log-format', 'pretty', '--workers', '2'],
        { KEYHOLD_LANG: 'nb' },
      );
      await waitForOutput(server, /med 2 arbeidsprosesser/);
      assert.equal(await server.stop('SIGINT'), 0);
      const output = await waitForOutput(server, /stoppet uten feil/);
      assert.match(output, /EN NY HOVEDNØKKEL BLE OPPRETTET/);
      assert.match(output.replace(/[║\s]+/g, ' '), /sikkerhetskopier den nå, atskilt fra/);
      assert.match(output, /Keyhold kjører på http:\/\/127\.0\.0\.1:\d+ med 2 arbeidsprosesser/);
      assert.match(output, /Keyhold stoppet uten feil\.\n*$/);
      // Each worker's own lines too, Fastify's "listening" line included.
      assert.equal(output.match(/Tjeneren lytter på http:\/\/127\.0\.0\.1:\d+/g)?.length, 2);
      assert.match(output, /data lagres i \S+keyhold\.db/);
      assert.doesNotMatch(output, /Server listening|data: |web app is not built/);
    } finally {
      await norsk.cleanup();
    }
  });

  it('words its line per request in Bokmål too, in JSON as on a terminal', async () => {
    const norsk = await createTestDatabase('sqlite');
    try {
      const server = await startServe(['--data-dir', norsk.dataDir, '--log-format', 'json'], {
        KEYHOLD_LANG: 'nb',
      });
      assert.equal(await get(server, '/api/v1/auth/me'), 401);
      const output = await waitForOutput(server, /"url":"\/api\/v1\/auth\/me"/);
      const answered = output.split('\n').find((line) => line.includes('"/api/v1/auth/me"'));
      assert.equal((JSON.parse(answered ?? '{}') as { msg?: string }).msg, 'forespørsel besvart');
      await server.stop();
    } finally {
      await norsk.cleanup();
    }
  });

  for (const workers of [[], ['--workers', '2']]) {
    const mode = workers.length ? 'with --workers 2' : 'in one process';
    it(`with --log-format pretty, ${mode}: readable lines, a framed master-key notice, one line per API request, and a clean stop on Ctrl-C`, async () => {
      const pretty = await createTestDatabase('sqlite');
      try {
        const server = await startServe([
          '--data-dir',
          pretty.dataDir,
          '--log-format',
          'pretty',
          ...workers,
        ]);
        if (workers.length) await waitForOutput(server, /with 2 worker processes/);
        await browse(server);
        assert.equal(await server.stop('SIGINT'), 0);
        const output = await waitForOutput(server, /stopped cleanly/);
        const lines = output.split('\n');
        assert.ok(
          lines.every((line) => !line.startsWith('{') && !line.includes('"level"')),
          `no JSON:\n${output}`,
        );
        // The notice is a box of its own, with an empty line above and below.
        const top = lines.findIndex((line) => line.startsWith('╔'));
        const bottom = lines.findIndex((line) => line.startsWith('╚'));
        assert.ok(top > 0 && bottom > top + 2, `a framed notice:\n${output}`);
        const notice = lines.slice(top, bottom + 1).join('\n');
        assert.match(notice, /NEW MASTER KEY/);
        assert.match(notice.replace(/[║\s]+/g, ' '), /back it up now/);
        assert.equal(lines[top - 1]?.trim().endsWith('WARN:'), true, 'a warning');
        assert.equal(lines[bottom + 1], '');
        const requests = requestLines(output);
        assert.equal(requests.length, 1, `one line for the API request only:\n${output}`);
        assert.match(requests[0] ?? '', /^\[[\d:]+\] INFO: GET \/api\/v1\/auth\/me 401 \d+ ms$/);
        assert.ok(!output.includes(searchedFor), 'no query string');
        assert.match(output, /serving on http:\/\/127\.0\.0\.1:\d+/);
        assert.equal(output.match(/Keyhold stopped cleanly\./g)?.length, 1);
        assert.match(
          lines.filter((line) => line !== '').at(-1) ?? '',
          /Keyhold stopped cleanly\.$/,
        );
      } finally {
        await pretty.cleanup();
      }
    });
  }

  it('refuses an unknown --log-format or KEYHOLD_LOG_FORMAT, naming the setting', async () => {
    const flag = await runKeyhold(['serve', '--port', '0', '--log-format', 'colourful']);
    assert.notEqual(flag.code, 0);
    assert.match(flag.stderr, /--log-format \(KEYHOLD_LOG_FORMAT\):.*auto.*pretty.*json/);
    const variable = await runKeyhold(['serve', '--port', '0'], {
      env: { KEYHOLD_LOG_FORMAT: 'xml' },
    });
    assert.notEqual(variable.code, 0);
    assert.match(variable.stderr, /--log-format \(KEYHOLD_LOG_FORMAT\)/);
    assert.doesNotMatch(flag.stderr + variable.stderr, /serving on|\n\s+at /);
  });
});
