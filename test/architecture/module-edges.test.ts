import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { Linter } from 'eslint';
import { repoRoot } from '../support/cli.js';

// The project's own ESLint settings for imports between features, applied to one import at a
// time: the rule is only worth having if it refuses what it is meant to and lets the rest by.
const { default: config } = (await import(
  pathToFileURL(join(repoRoot, 'eslint.config.js')).href
)) as { default: Linter.Config[] };
const edgeSettings = config.flatMap(({ files, ignores, rules }) => {
  const rule = rules?.['no-restricted-imports'];
  if (rule === undefined) return [];
  return [{ files, ...(ignores ? { ignores } : {}), rules: { 'no-restricted-imports': rule } }];
});

function refused(file: string, specifier: string): boolean {
  const messages = new Linter({ cwd: repoRoot }).verify(
    `import '${specifier}';`,
    edgeSettings,
    join(repoRoot, file),
  );
  return messages.some((message) => message.ruleId === 'no-restricted-imports');
}

describe('imports between features', () => {
  it('go through the other feature’s index.ts', () => {
    assert.equal(refused('src/server/features/vault/service.ts', '../auth/repo.js'), true);
    assert.equal(refused('src/server/features/vault/service.ts', '../auth/signin.js'), true);
    assert.equal(refused('src/server/features/vault/service.ts', '../auth/index.js'), false);
    assert.equal(refused('src/server/features/auth/signin.ts', './repo.js'), false);
  });

  it('reach the server core and the CLI only through the index', () => {
    assert.equal(refused('src/server/caller.ts', './features/device-auth/bearer.js'), true);
    assert.equal(refused('src/server/caller.ts', './features/device-auth/index.js'), false);
    assert.equal(refused('src/cli/server/admin.ts', '../../server/features/orgs/repo.js'), true);
    assert.equal(refused('src/server/caller.ts', './accounts/sessions-repo.js'), false);
  });

  it('leave registering routes to the app', () => {
    assert.equal(refused('src/server/app.ts', './features/auth/routes.js'), false);
    assert.equal(refused('src/server/app.ts', './features/auth/repo.js'), true);
    assert.equal(refused('src/server/jobs.ts', './features/auth/routes.js'), true);
  });

  it('let tests use another feature’s helpers but not its queries', () => {
    assert.equal(refused('src/server/features/vault/vault.test.ts', '../auth/totp.js'), false);
    assert.equal(refused('src/server/features/vault/vault.test.ts', '../auth/repo.js'), true);
    assert.equal(refused('test/server/harness.ts', '../../src/server/features/orgs/repo.js'), true);
  });
});
