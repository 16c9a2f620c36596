import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDevice, deviceParts } from './device.js';

// User-Agent strings as these clients send them.
const agents = {
  headlessChrome:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36',
  chromeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
  firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  safari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  keyholdCli: 'keyhold/0.1.0 (linux; node 20.20.2)',
  curl: 'curl/8.5.0',
};

describe('describeDevice', () => {
  it('recognises headless and ordinary Chrome, and tells Edge from Chrome', () => {
    assert.equal(describeDevice(agents.headlessChrome), 'Chrome on Linux');
    assert.equal(describeDevice(agents.chromeWindows), 'Chrome on Windows');
    assert.equal(describeDevice(agents.chromeAndroid), 'Chrome on Android');
    assert.equal(describeDevice(agents.edge), 'Edge on Windows');
  });

  it('recognises Firefox, Safari, the Keyhold CLI and curl', () => {
    assert.equal(describeDevice(agents.firefox), 'Firefox on Linux');
    assert.equal(describeDevice(agents.safari), 'Safari on macOS');
    assert.equal(describeDevice(agents.safariIphone), 'Safari on iOS');
    assert.equal(describeDevice(agents.keyholdCli), 'Keyhold CLI');
    assert.equal(describeDevice(agents.curl), 'curl');
  });

  it('words the description in Bokmål when asked', () => {
    assert.equal(describeDevice(agents.headlessChrome, 'nb'), 'Chrome på Linux');
    assert.equal(describeDevice(agents.curl, 'nb'), 'curl');
    assert.equal(describeDevice(undefined, 'nb'), 'Ukjent enhet');
    assert.equal(describeDevice('', 'en'), 'Unknown device');
  });

  it('gives the browser and system apart for scripts', () => {
    assert.deepEqual(deviceParts(agents.headlessChrome), { browser: 'Chrome', system: 'Linux' });
    assert.deepEqual(deviceParts('something else'), { browser: null, system: null });
  });
});
