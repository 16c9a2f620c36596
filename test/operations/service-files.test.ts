import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findOnPath } from '../../src/operations/take-backup.js';
import { keyholdBin, repoRoot } from '../support/cli.js';

const unitFile = join(repoRoot, 'deploy', 'systemd', 'keyhold.service');
const containerFile = join(repoRoot, 'deploy', 'Containerfile');

/** `Key=value` lines of a unit file, each key with all its values. */
function directives(text: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (!match?.[1]) continue;
    found.set(match[1], [...(found.get(match[1]) ?? []), match[2] ?? '']);
  }
  return found;
}

describe('the systemd unit', () => {
  it('runs as its own user in a sandbox with a state directory', async () => {
    const unit = directives(await readFile(unitFile, 'utf8'));
    assert.deepEqual(unit.get('User'), ['keyhold']);
    assert.deepEqual(unit.get('ProtectSystem'), ['strict']);
    assert.deepEqual(unit.get('NoNewPrivileges'), ['yes']);
    assert.deepEqual(unit.get('StateDirectory'), ['keyhold']);
    assert.deepEqual(unit.get('Environment')?.includes('KEYHOLD_DATA_DIR=/var/lib/keyhold'), true);
    assert.deepEqual(unit.get('CapabilityBoundingSet'), ['']);
  });

  const systemdAnalyze = findOnPath('systemd-analyze');
  it(
    'passes systemd-analyze verify',
    { skip: systemdAnalyze ? false : 'systemd-analyze is not installed here' },
    async () => {
      // verify checks that ExecStart exists: point it at this checkout's keyhold.
      const folder = await mkdtemp(join(tmpdir(), 'keyhold-unit-'));
      try {
        const copy = join(folder, 'keyhold.service');
        const text = await readFile(unitFile, 'utf8');
        await writeFile(
          copy,
          text.replace('/usr/local/bin/keyhold', `${process.execPath} ${keyholdBin}`),
        );
        const result = spawnSync(systemdAnalyze ?? '', ['verify', copy], { encoding: 'utf8' });
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stderr.includes('keyhold.service'), false, result.stderr);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },
  );
});

describe('the container file', () => {
  it('builds in one stage and runs from another as a non-root user with the data on a volume', async () => {
    const text = await readFile(containerFile, 'utf8');
    assert.equal(text.match(/^FROM /gm)?.length, 2, 'two stages');
    assert.match(text, /^FROM \S+ AS build$/m);
    assert.match(text, /^COPY --from=build /m);
    assert.match(text, /^USER node$/m);
    assert.match(text, /^VOLUME \["\/data"\]$/m);
    assert.match(text, /KEYHOLD_DATA_DIR=\/data/);
    assert.doesNotMatch(text.slice(text.lastIndexOf('USER node')), /^USER root/m);
  });
});
