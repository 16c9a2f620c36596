import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import semver from 'semver';
import { repoRoot } from '../support/cli.js';

interface PackageManifest {
  engines?: { node?: string };
}

const readJson = (name: string): unknown => JSON.parse(readFileSync(join(repoRoot, name), 'utf8'));

describe('the Node.js versions Keyhold supports', () => {
  it('are supported by every installed package, so npm ci prints no EBADENGINE warning', () => {
    const declared = (readJson('package.json') as PackageManifest).engines?.node;
    assert.ok(declared, 'package.json declares engines.node');
    const oldestSupported = semver.minVersion(declared);
    assert.ok(oldestSupported, `engines.node (${declared}) names a version`);
    const lock = readJson('package-lock.json') as { packages: Record<string, PackageManifest> };
    const refusing = Object.entries(lock.packages)
      .filter(([, manifest]) => {
        const wanted = manifest.engines?.node;
        return wanted !== undefined && !semver.satisfies(oldestSupported, wanted);
      })
      .map(([path, manifest]) => `${path} (node ${manifest.engines?.node ?? ''})`);
    assert.deepEqual(refusing, [], `these need a newer Node.js than ${oldestSupported.version}`);
  });
});
