import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateRecoveryPassword } from '../../src/bitlocker/recovery-password-generation.js';
import { startServe, type ServeProcess } from '../server/serve-process.js';
import { logIn, SignedInBrowser } from '../support/device-login.js';

interface StoredCredentials {
  credentials: { email: string; token: string }[];
}

describe('signing out everywhere ends keyhold login tokens too', () => {
  const roots: string[] = [];
  const freshDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-signout-devices-'));
    roots.push(dir);
    return dir;
  };
  let server: ServeProcess;

  before(async () => {
    server = await startServe(['--data-dir', freshDir()]);
  });
  after(async () => {
    await server.stop();
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  /** A person with a key, signed in in a browser and connected with `keyhold login`. */
  async function connectedPerson(email: string) {
    const browser = new SignedInBrowser(server.url);
    await browser.signup(email, email.split('@')[0] ?? email);
    const protectorId = '0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9';
    await browser.addKey(protectorId, generateRecoveryPassword());
    const configDir = freshDir();
    await logIn(server.url, browser, { XDG_CONFIG_HOME: configDir });
    const stored = JSON.parse(
      readFileSync(join(configDir, 'keyhold', 'credentials.json'), 'utf8'),
    ) as StoredCredentials;
    const token = stored.credentials[0]?.token ?? '';
    assert.notEqual(token, '');
    return { browser, token };
  }

  /** What the device can still do with its token: list keys, and reveal the first. */
  async function deviceAccess(token: string): Promise<{ list: number; reveal: number }> {
    const headers = { authorization: `Bearer ${token}` };
    const list = await fetch(`${server.url}/api/v1/keys`, { headers });
    const body = (await list.json()) as { items?: { id: string }[] };
    const id = body.items?.[0]?.id ?? '00000000000000000000000000';
    const reveal = await fetch(`${server.url}/api/v1/keys/${id}/reveal`, {
      method: 'POST',
      headers,
    });
    return { list: list.status, reveal: reveal.status };
  }

  it('"sign out everywhere" revokes the device token: it can neither list nor reveal keys', async () => {
    const { browser, token } = await connectedPerson('ola@example.org');
    assert.deepEqual(await deviceAccess(token), { list: 200, reveal: 200 });

    const signedOut = await browser.request('POST', '/api/v1/auth/signout', { everywhere: true });
    assert.equal(signedOut.status, 200);
    assert.deepEqual(await deviceAccess(token), { list: 401, reveal: 401 });
  });

  it('"sign out other sessions" revokes the device token and keeps this browser signed in', async () => {
    const { browser, token } = await connectedPerson('kari@example.org');
    assert.deepEqual(await deviceAccess(token), { list: 200, reveal: 200 });

    const ended = await browser.request<{ revoked: number; tokensRevoked: number }>(
      'DELETE',
      '/api/v1/auth/sessions',
    );
    assert.equal(ended.status, 200);
    assert.equal(ended.body.tokensRevoked, 1);
    assert.deepEqual(await deviceAccess(token), { list: 401, reveal: 401 });
    const stillHere = await browser.request('GET', '/api/v1/keys');
    assert.equal(stillHere.status, 200, 'the browser that asked stays signed in');
  });
});
