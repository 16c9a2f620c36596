import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  addedRecoveryPasswordProtectorId,
  looksLikeBitLockerJson,
  parseBitLockerVolumeJson,
  PowerShellJsonError,
} from './powershell.js';
import { decodeText } from './text-decoding.js';

const fixture = (name: string): string =>
  decodeText(readFileSync(join(import.meta.dirname, '../../test/fixtures/windows-output', name)))
    .text;

describe('Get-BitLockerVolume | ConvertTo-Json', () => {
  it('reads Windows PowerShell 5.1 output, where enums are numbers, as names', () => {
    const volumes = parseBitLockerVolumeJson(fixture('get-bitlockervolume-ps51.json'));
    assert.deepEqual(
      volumes.map((volume) => ({
        mountPoint: volume.mountPoint,
        volumeType: volume.volumeType,
        encryptionMethod: volume.encryptionMethod,
        volumeStatus: volume.volumeStatus,
        protectionStatus: volume.protectionStatus,
        protectors: volume.keyProtectors.map(
          (protector) => `${protector.typeName}/${protector.type}`,
        ),
      })),
      [
        {
          mountPoint: 'C:',
          volumeType: 'OperatingSystem',
          encryptionMethod: 'XtsAes128',
          volumeStatus: 'FullyEncrypted',
          protectionStatus: 'On',
          protectors: ['Tpm/tpm', 'RecoveryPassword/recovery-password'],
        },
        {
          mountPoint: 'D:',
          volumeType: 'Data',
          encryptionMethod: 'XtsAes128',
          volumeStatus: 'FullyEncrypted',
          protectionStatus: 'On',
          protectors: [
            'ExternalKey/external-key',
            'RecoveryPassword/recovery-password',
            'Password/password',
          ],
        },
        {
          mountPoint: 'E:',
          volumeType: 'Data',
          encryptionMethod: 'None',
          volumeStatus: 'FullyDecrypted',
          protectionStatus: 'Off',
          protectors: [],
        },
      ],
    );
    const external = volumes[1]?.keyProtectors[0];
    assert.equal(external?.keyFileName, 'FC50744B-810D-4800-A937-14DE50211D2B.BEK');
    assert.equal(
      volumes[0]?.keyProtectors[1]?.recoveryPassword,
      '253308-238788-185746-710985-628056-104511-331276-350790',
    );
  });

  it('reads PowerShell 7 output of a single volume with enums as strings', () => {
    const [volume, ...others] = parseBitLockerVolumeJson(fixture('get-bitlockervolume-ps7.json'));
    assert.equal(others.length, 0);
    assert.equal(volume?.encryptionMethod, 'XtsAes256');
    assert.equal(volume.volumeType, 'OperatingSystem');
    assert.deepEqual(
      volume.keyProtectors.map(({ id, type }) => ({ id, type })),
      [
        { id: 'E0E505E1-8E15-41AC-BCE5-AAAB111F2F7C', type: 'tpm-pin' },
        { id: '6E5BDDF2-7FAE-4899-8E3D-ED574CC6EDAC', type: 'recovery-password' },
      ],
    );
  });

  it('reads a bare key protector list and a single protector written as an object', () => {
    const json = JSON.stringify({
      KeyProtectorId: '{6e5bddf2-7fae-4899-8e3d-ed574cc6edac}',
      KeyProtectorType: 3,
      RecoveryPassword: '689711-617177-688567-239217-411037-395659-651365-321915',
    });
    const [volume] = parseBitLockerVolumeJson(json);
    assert.ok(volume);
    assert.equal(volume.mountPoint, undefined);
    assert.deepEqual(
      volume.keyProtectors.map(({ id, type }) => ({ id, type })),
      [{ id: '6E5BDDF2-7FAE-4899-8E3D-ED574CC6EDAC', type: 'recovery-password' }],
    );
    assert.ok(looksLikeBitLockerJson(json));
  });

  it('refuses broken or foreign JSON with a typed error saying what is wrong', () => {
    const cases: [string, string, RegExp][] = [
      ['{"MountPoint": "C:", ', 'not-json', /not valid JSON/],
      ['[]', 'empty', /no BitLocker volumes/],
      ['[1]', 'bad-volume', /not an object/],
      ['{"name": "x"}', 'bad-volume', /neither MountPoint/],
      [
        '{"MountPoint":"C:","KeyProtector":{"KeyProtectorId":"{1234}"}}',
        'bad-protector',
        /not a GUID/,
      ],
      [
        '{"MountPoint":"C:","KeyProtector":[{"KeyProtectorId":"{6E5BDDF2-7FAE-4899-8E3D-ED574CC6EDAC}","KeyProtectorType":3,"RecoveryPassword":"689711-617177-688567-239217-411037-395659-651365-321951"}]}',
        'bad-recovery-password',
        /block 8/,
      ],
    ];
    for (const [input, code, message] of cases) {
      assert.throws(
        () => parseBitLockerVolumeJson(input),
        (error: unknown) =>
          error instanceof PowerShellJsonError &&
          error.code === code &&
          message.test(error.message),
        input,
      );
    }
  });
});

describe('Add-BitLockerKeyProtector -RecoveryPasswordProtector | ConvertTo-Json', () => {
  it("finds the protector holding the password just added among the volume's others", () => {
    const json = fixture('add-bitlockerkeyprotector-ps7.json');
    assert.equal(
      addedRecoveryPasswordProtectorId(
        json,
        '347006-480920-295350-705661-014366-599192-135278-434676',
      ),
      '5B0C3E52-7D1A-4F0B-9E64-2A8C1D3F9B70',
    );
    assert.throws(
      () =>
        addedRecoveryPasswordProtectorId(
          json,
          '097603-668118-574794-148071-069399-466730-478819-254100',
        ),
      PowerShellJsonError,
    );
  });
});
