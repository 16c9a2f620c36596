import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commandExitCodes, exitCodesMarkdown } from '../../src/cli/exit-codes.js';
import { repoRoot, runKeyhold } from '../support/cli.js';

/** The subcommand names a --help lists under "Commands:", without commander's own `help`. */
function listedCommands(help: string): string[] {
  const section = help.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)]
    .map((match) => match[1] ?? '')
    .filter((name) => name !== 'help');
}

/** Every command that does the work: `find`, `key check`, `admin migrate`, ... */
async function leafCommands(): Promise<string[]> {
  const top = await runKeyhold(['--help']);
  const paths: string[] = [];
  for (const name of listedCommands(top.stdout)) {
    const help = await runKeyhold([name, '--help']);
    const children = listedCommands(help.stdout);
    if (children.length === 0) paths.push(name);
    else paths.push(...children.map((child) => `${name} ${child}`));
  }
  return paths;
}

/** The "Exit codes:" lines of a --help, as [code, meaning]. */
function helpExitCodes(help: string): [number, string][] {
  const section = help.split('\nExit codes:\n')[1];
  assert.ok(section !== undefined, `no "Exit codes:" section in:\n${help}`);
  return section
    .split('\n')
    .filter((line) => /^ {2}\d+ /.test(line))
    .map((line) => {
      const match = /^ {2}(\d+)\s+(.*)$/.exec(line);
      return [Number(match?.[1]), match?.[2] ?? ''];
    });
}

/** A Markdown table's cells, row by row, whatever padding a formatter gave them. */
function tableCells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
}

describe('exit codes in --help and the README', () => {
  it('lists every command that can be run, and only those', async () => {
    assert.deepEqual((await leafCommands()).sort(), Object.keys(commandExitCodes).sort());
  });

  it("ends each command's --help with the codes it can return and what they mean", async () => {
    for (const [path, codes] of Object.entries(commandExitCodes)) {
      const help = await runKeyhold([...path.split(' '), '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.deepEqual(
        helpExitCodes(help.stdout),
        codes.map(({ code, meaning }) => [code, meaning.en]),
        `keyhold ${path} --help`,
      );
    }
  });

  it('holds the same table in the README', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    const block = /<!-- exit-codes:start[^\n]*-->([^]*?)<!-- exit-codes:end -->/.exec(readme);
    assert.ok(block?.[1], 'README.md has no exit-codes block');
    assert.deepEqual(
      tableCells(block[1]),
      tableCells(exitCodesMarkdown()),
      `README.md exit-code table is out of date; it should read:\n${exitCodesMarkdown()}`,
    );
  });

  it('ends every command with 2 for flags it cannot use, as its help says', async () => {
    for (const [path, codes] of Object.entries(commandExitCodes)) {
      const result = await runKeyhold([...path.split(' '), '--no-such-flag']);
      assert.equal(result.code, 2, `keyhold ${path} --no-such-flag: ${result.stderr}`);
      // Commands with required flags name the first missing one instead; the code is the same.
      assert.match(result.stderr, /^error: (unknown|required) option/);
      assert.ok(codes.some(({ code }) => code === 2));
    }
  });
});
