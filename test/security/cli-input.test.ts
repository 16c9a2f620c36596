import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { keyholdBin, repoRoot, runKeyhold } from '../support/cli.js';

const kib = 1024;
const mib = 1024 * kib;

/**
 * Runs `keyhold` with `total` bytes offered on standard input, written as long as the command
 * takes them. Answers how many it took before it closed its end: a command that stops reading
 * at its limit takes little more than the limit (plus what the pipe holds).
 */
function runWithFloodedStdin(
  args: string[],
  total: number,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string; taken: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [keyholdBin, ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.resume();
    child.on('error', reject);
    // Digits and dashes, as a recovery password has: nothing a parser could refuse early.
    const chunk = Buffer.alloc(64 * kib, '123456-');
    let taken = 0;
    let refused = false;
    child.stdin.on('error', () => {
      refused = true;
    });
    const writeMore = (): void => {
      if (refused || taken >= total) {
        if (!refused) child.stdin.end();
        return;
      }
      child.stdin.write(chunk, (error) => {
        if (error) return;
        taken += chunk.length;
        writeMore();
      });
    };
    writeMore();
    child.on('close', (code) => {
      resolve({ code, stderr, taken });
    });
  });
}

describe('the CLI under hostile input', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-cli-input-'));
    // Its own configuration folder, so no stored login is read or written.
    env = { XDG_CONFIG_HOME: join(dir, 'config') };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  describe('standard input is bounded', () => {
    const protectorId = '64311DEA-4587-4029-924A-BA299647998E';
    const secretCommands: [string, string[]][] = [
      ['key check -', ['key', 'check', '-']],
      ['key file --password -', ['key', 'file', '--id', protectorId, '--password', '-']],
      ['verify --recovery-password -', ['verify', 'volume.img', '--recovery-password', '-']],
      ['verify --password -', ['verify', 'volume.img', '--password', '-']],
      [
        'unlock --recovery-password -',
        ['unlock', 'volume.img', '--recovery-password', '-', '--out', 'plain.img'],
      ],
      [
        'backup --password -',
        ['backup', '--to', 'file', '--file', 'out', '--id', protectorId, '--password', '-'],
      ],
    ];
    for (const [name, args] of secretCommands) {
      it(`${name} stops reading after 64 KiB and says why`, async () => {
        const result = await runWithFloodedStdin(args, 32 * mib, { ...env });
        assert.equal(result.code, 2, result.stderr);
        assert.match(
          result.stderr,
          /^error: Standard input holds more than 64 KiB, far more than a key or password\. Pipe in only the secret\.\n$/,
        );
        // What was read is the limit and what the pipe and one read hold, not the 32 MiB offered.
        assert.ok(result.taken < 2 * mib, `took ${result.taken} bytes`);
      });
    }

    const fileCommands: [string, string[]][] = [
      ['read -', ['read', '-']],
      ['backup --from -', ['backup', '--to', 'file', '--file', 'out', '--from', '-']],
    ];
    for (const [name, args] of fileCommands) {
      it(`${name} stops reading after 16 MiB and says why`, async () => {
        const result = await runWithFloodedStdin(args, 64 * mib, { ...env });
        assert.equal(result.code, 2, result.stderr);
        assert.match(
          result.stderr,
          /error: Standard input holds more than 16 MiB, far more than any key file or tool output\. Pipe in only the key file or tool output\./,
        );
        assert.ok(result.taken < 18 * mib, `took ${result.taken} bytes`);
      });
    }

    it('still reads a key piped in as usual', async () => {
      const password = generateRecoveryPassword();
      const result = await runKeyhold(['key', 'check', '-'], { input: `${password}\n`, env });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `valid ${password}\n`);
    });
  });

  describe('names that act on a terminal are printed escaped', () => {
    const protectorId = randomUUID().toUpperCase();
    const recoveryPassword = generateRecoveryPassword();
    // Clears the screen, retitles the window, and reverses what follows.
    const hostileDrive = 'C:\u001b[2J\u001b]0;owned\u0007\u202eexe.txt';
    const hostileFileName = `keys\u001b[31m\u202e.json`;
    let keysFile: string;

    before(async () => {
      keysFile = join(dir, hostileFileName);
      await writeFile(
        keysFile,
        JSON.stringify({
          MountPoint: hostileDrive,
          KeyProtector: [
            {
              KeyProtectorId: `{${protectorId}}`,
              KeyProtectorType: 3,
              RecoveryPassword: recoveryPassword,
            },
          ],
        }),
      );
    });

    /** No C0 control but the line feed, no DEL or C1 control, no bidi override or isolate. */
    function assertNothingActs(output: string): void {
      const acting = Array.from(output).filter((character) => {
        const code = character.codePointAt(0) ?? 0;
        return (
          (code < 0x20 && code !== 0x0a) ||
          (code >= 0x7f && code <= 0x9f) ||
          (code >= 0x202a && code <= 0x202e) ||
          (code >= 0x2066 && code <= 0x2069)
        );
      });
      assert.deepEqual(acting, [], output);
    }

    it('keyhold read shows the drive and the file name with their escapes written out', async () => {
      const result = await runKeyhold(['read', keysFile], { env });
      assert.equal(result.code, 0, result.stderr);
      assertNothingActs(result.stdout);
      assert.ok(result.stdout.includes(`keys\\x1b[31m\\u202e.json: `), result.stdout);
      assert.ok(
        result.stdout.includes(
          `volume C:\\x1b[2J\\x1b]0;owned\\x07\\u202eexe.txt  ${recoveryPassword}`,
        ),
        result.stdout,
      );
    });

    it('keyhold read --json keeps the exact text', async () => {
      const result = await runKeyhold(['read', keysFile, '--json'], { env });
      assert.equal(result.code, 0, result.stderr);
      const found = JSON.parse(result.stdout) as { volume: string; source: string }[];
      assert.deepEqual(
        found.map(({ volume, source }) => ({ volume, source })),
        [{ volume: hostileDrive, source: keysFile }],
      );
    });

    it('keyhold read - escapes what it reads from standard input too', async () => {
      const text = JSON.stringify({
        MountPoint: '\u001b[8mD:',
        KeyProtector: [
          {
            KeyProtectorId: `{${protectorId}}`,
            KeyProtectorType: 3,
            RecoveryPassword: recoveryPassword,
          },
        ],
      });
      const result = await runKeyhold(['read', '-'], { input: text, env });
      assert.equal(result.code, 0, result.stderr);
      assertNothingActs(result.stdout);
      assert.ok(result.stdout.includes('volume \\x1b[8mD:'), result.stdout);
    });

    it('keyhold find shows a matching file whose name holds escapes, escaped', async () => {
      const folder = await mkdtemp(join(dir, 'found-'));
      const { bytes } = writeRecoveryKeyFile({ protectorId, recoveryPassword });
      const name = `BitLocker Recovery Key\u001b[1A\u001b[2K\u202e.txt`;
      await writeFile(join(folder, name), bytes);
      const result = await runKeyhold(
        ['find', protectorId.slice(0, 8), '--in', folder, '--no-drives', '--no-accounts'],
        { env },
      );
      assert.equal(result.code, 0, result.stderr);
      assertNothingActs(result.stdout);
      assertNothingActs(result.stderr);
      assert.ok(
        result.stdout.includes(`BitLocker Recovery Key\\x1b[1A\\x1b[2K\\u202e.txt`),
        result.stdout,
      );
    });
  });

  describe('plain HTTP goes only to this computer', () => {
    let closedPort: number;
    let guard: string;
    before(async () => {
      // A port nothing listens on: an accepted address fails to connect, on loopback only.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      closedPort = (probe.address() as { port: number }).port;
      await new Promise((resolve) => probe.close(resolve));
      // Refuses every name lookup but localhost, so no version of the CLI asks DNS about
      // 127.evil.example: the test sends nothing off this computer.
      guard = join(dir, 'loopback-only.mjs');
      await writeFile(
        guard,
        `import dns from 'node:dns';
const lookup = dns.lookup;
dns.lookup = function (host, ...rest) {
  if (host === 'localhost') return lookup.call(this, host, ...rest);
  process.nextTick(rest.at(-1), Object.assign(new Error('lookup blocked'), { code: 'EBLOCKED' }));
  return {};
};
`,
      );
    });

    function login(server: string) {
      return runKeyhold(['login', server], {
        env: { ...env, NODE_OPTIONS: `--import=${guard}` },
      });
    }

    it('refuses a host name that only starts with 127.', async () => {
      for (const server of ['http://127.evil.example', 'http://127.0.0.1.evil.example:8080']) {
        const result = await login(server);
        assert.equal(result.code, 2, `${server}: ${result.stderr}`);
        assert.match(
          result.stderr,
          /Refusing to log in over plain HTTP to 127\.[a-z0-9.:]*evil\.example/,
        );
      }
    });

    it("refuses a device name that would act on the approver's screen, before asking", async () => {
      const result = await runKeyhold(
        ['login', `http://127.0.0.1:${closedPort}`, '--device-name', 'ola\u001b[2J\u202elaptop'],
        { env: { ...env, NODE_OPTIONS: `--import=${guard}` } },
      );
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /^error: --device-name holds control characters or text-direction overrides; give a plain name/,
      );
    });

    it('accepts localhost, [::1] and addresses in 127.0.0.0/8', async () => {
      for (const host of ['localhost', '[::1]', '127.0.0.1', '127.0.0.2', '127.1.2.3']) {
        const server = `http://${host}:${closedPort}`;
        const result = await login(server);
        // It went on to connect, and found nothing listening.
        assert.equal(result.code, 3, `${server}: ${result.stderr}`);
        assert.match(
          result.stderr,
          /Could not reach http:\/\/[^ ]+ \((ECONNREFUSED|EADDRNOTAVAIL)\)/,
        );
        assert.doesNotMatch(result.stderr, /plain HTTP/);
      }
    });
  });
});
