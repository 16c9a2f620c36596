import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VolumeInspection } from '../../bitlocker/volume/inspection.js';
import { inspectionLines } from './inspect-command.js';

describe('keyhold inspect report', () => {
  it('shows a hostile description and path escaped, never as terminal controls', () => {
    const inspection: VolumeInspection = {
      volumeGuid: '8F595209-0C2F-4B35-A1A0-2E6E5E7F3A11',
      encryptionMethod: 'aes-xts-128',
      sectorSize: 512,
      description: 'DESKTOP \u001b]0;owned\u0007 C: \u202Egpj.exe 06.12.2026',
      protectors: [],
      metadataCopies: [],
      state: 'fully-encrypted',
      mode: 'full',
      conversion: 'fully-encrypted',
      encryptedSize: 1 << 20,
      kind: 'fixed',
    };
    const report = inspectionLines('disk\u001b[2J.img', inspection).join('\n');
    for (const control of ['\u0007', '\u001b', '\u202e']) assert.ok(!report.includes(control));
    assert.match(report, /DESKTOP \\x1b\]0;owned\\x07 C: \\u202egpj\.exe 06\.12\.2026/);
    assert.match(report, /disk\\x1b\[2J\.img/);
  });
});
