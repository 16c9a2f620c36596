import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { after, describe, it } from 'node:test';
import { readRecoveryKeyFile, writeRecoveryKeyFile } from '../../src/bitlocker/recovery-file.js';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { keyholdBin } from '../support/cli.js';

const roots: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-wizard-'));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

const keys = { down: '\u001b[B', enter: '\r', space: ' ' };

/**
 * `keyhold` in a real pseudo-terminal (util-linux `script`), typed at like a person would: each
 * answer is sent only once its question is on screen.
 */
function terminal(args: string[], env: NodeJS.ProcessEnv) {
  const command = `stty cols 120 rows 40; ${[process.execPath, keyholdBin, ...args].map(shellQuote).join(' ')}`;
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, ...env, TERM: 'xterm-256color' },
  });
  let screen = '';
  let seen = 0;
  const waiters: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    // Cursor movement and colours are noise here; the words are what a person reads.
    screen += stripVTControlCharacters(chunk);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    async answer(question: string, typed: string): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (!screen.includes(question, seen)) {
        if (Date.now() > deadline) throw new Error(`"${question}" never appeared:\n${screen}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      seen = screen.indexOf(question, seen) + question.length;
      child.stdin.write(typed);
    },
    async finished(): Promise<{ code: number | null; screen: string }> {
      // A wizard still waiting for an answer is a failure, not a hang of the test run.
      const stuck = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(stuck);
      return { code, screen };
    },
  };
}

const hasScript = spawnSync('script', ['--version']).status === 0;

describe(
  'keyhold backup in a terminal',
  { skip: hasScript ? false : 'util-linux script is not installed' },
  () => {
    it('asks for destinations and their details, shows the plan, then backs up', async () => {
      const protectorId = '64311DEA-4587-4029-924A-BA299647998E';
      const recoveryPassword = generateRecoveryPassword();
      const { fileName, bytes } = writeRecoveryKeyFile({ protectorId, recoveryPassword });
      const source = join(freshDir(), fileName);
      writeFileSync(source, bytes);
      const out = freshDir();
      const pdf = join(out, 'sheet.pdf');

      const session = terminal(['backup', '--from', source], { XDG_CONFIG_HOME: freshDir() });
      // The account is offered but disabled (not logged in): the list starts at the USB drive.
      await session.answer(
        'Where do you want to back it up?',
        keys.down + keys.space + keys.down + keys.space + keys.enter,
      );
      await session.answer(
        'Folder or file to save the recovery key file in',
        `${out}${keys.enter}`,
      );
      await session.answer('Print now or save the sheet?', keys.down + keys.enter);
      await session.answer('Save the sheet as', `${pdf}${keys.enter}`);
      await session.answer('Go ahead?', keys.enter);
      const { code, screen } = await session.finished();

      assert.equal(code, 0, screen);
      assert.match(screen, /Your Keyhold account.*log in first: keyhold login <server>/);
      assert.match(screen, /About to back up/);
      assert.match(screen, new RegExp(`file {5}${out}`));
      assert.match(screen, /ok file: wrote /);
      assert.match(screen, /ok print: saved the printable sheet as /);
      assert.deepEqual(readdirSync(out).sort(), [fileName, 'sheet.pdf']);
      assert.deepEqual(readRecoveryKeyFile(readFileSync(join(out, fileName))), [
        { protectorId, recoveryPassword },
      ]);
    });

    it('asks and reports in Bokmål on a Norwegian terminal', async () => {
      const protectorId = '64311DEA-4587-4029-924A-BA299647998E';
      const { fileName, bytes } = writeRecoveryKeyFile({
        protectorId,
        recoveryPassword: generateRecoveryPassword(),
      });
      const source = join(freshDir(), fileName);
      writeFileSync(source, bytes);
      const out = freshDir();

      const session = terminal(['backup', '--from', source, '--to', 'file', '--file', out], {
        XDG_CONFIG_HOME: freshDir(),
        KEYHOLD_LANG: 'nb',
      });
      await session.answer('Sette i gang?', keys.enter);
      const { code, screen } = await session.finished();

      assert.equal(code, 0, screen);
      assert.match(screen, /Sikkerhetskopier BitLocker-gjenopprettingsnøkkelen din/);
      assert.match(screen, /Klar til å sikkerhetskopiere/);
      assert.match(screen, new RegExp(`Nøkkel-ID ${protectorId}`));
      assert.match(screen, /ok file: skrev /);
      assert.match(screen, /Ferdig\. Oppbevar hver kopi unna datamaskinen den låser opp\./);
      assert.deepEqual(readdirSync(out), [fileName]);
    });

    it('checks a typed-in key block by block before going on', async () => {
      const out = freshDir();
      const protectorId = '0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0';
      const recoveryPassword = generateRecoveryPassword();
      const blocks = recoveryPassword.split('-');
      const mistyped = [...blocks];
      mistyped[4] = String((Number(blocks[4]) + 1) % 1_000_000).padStart(6, '0');

      const session = terminal(['backup', '--to', 'file', '--file', out], {
        XDG_CONFIG_HOME: freshDir(),
      });
      await session.answer('Which key do you want to back up?', keys.down + keys.enter);
      await session.answer('Key ID (the identifier shown', `${protectorId}${keys.enter}`);
      await session.answer('Recovery key (48 digits', `${mistyped.join(' ')}${keys.enter}`);
      // The prompt stays, pointing at block 5; erase and type it right.
      await session.answer(
        `Block 5 (${mistyped[4]})`,
        '\u007f'.repeat(60) + recoveryPassword + keys.enter,
      );
      await session.answer('Go ahead?', keys.enter);
      const { code, screen } = await session.finished();

      assert.equal(code, 0, screen);
      const [written] = readdirSync(out);
      assert.deepEqual(readRecoveryKeyFile(readFileSync(join(out, written ?? ''))), [
        { protectorId, recoveryPassword },
      ]);
    });
  },
);
