import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../support/cli.js';
import { startServe, type ServeProcess } from './serve-process.js';

/** The first fenced block of `language` after `heading` in docs/api.md. */
function block(markdown: string, heading: string, language: string): string {
  const section = markdown.slice(markdown.indexOf(heading));
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(section);
  if (!match?.[1]) throw new Error(`no ${language} block after "${heading}" in docs/api.md`);
  return match[1];
}

const missingTools = ['curl', 'jq', 'bash'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);

describe(
  'the curl session in docs/api.md',
  { skip: missingTools.length > 0 && `needs ${missingTools.join(', ')}` },
  () => {
    let server: ServeProcess;
    let dataDir: string;
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'keyhold-curl-'));
      server = await startServe(['--data-dir', dataDir]);
    });
    after(async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('runs exactly as written against a real server and prints what the document says', async () => {
      const markdown = await readFile(join(repoRoot, 'docs', 'api.md'), 'utf8');
      const heading = '## A complete session with curl';
      const script = block(markdown, heading, 'sh');
      const expected = block(markdown, heading, 'text');
      const result = spawnSync('bash', ['-c', script], {
        env: { ...process.env, KEYHOLD: server.url },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(result.stderr, '');
      assert.equal(result.status, 0);
      assert.equal(result.stdout, expected);
    });
  },
);
