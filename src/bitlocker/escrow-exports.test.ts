import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EscrowExportError, readEscrowExport } from './escrow-exports.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../test/fixtures/escrow-exports/${name}`, import.meta.url));

describe('recovery key exports of other systems', () => {
  it('reads the Entra ID / Intune CSV with device names, drive types and dates', () => {
    const { format, items } = readEscrowExport(fixture('entra-bitlocker-keys.csv'));
    assert.equal(format, 'entra-csv');
    assert.equal(items.length, 6);
    assert.deepEqual(
      items.slice(0, 3).map((i) => [i.protectorId, i.deviceName, i.volumeType, i.createdAt]),
      [
        ['6D1A9E42-3C7B-4F0A-9B1E-5A2C8D7F6E01', 'ACME-LT-0142', 'os', '2024-03-18T09:12:44.000Z'],
        [
          'B3F08C11-7D2E-4A55-8C3D-0E9F1A2B3C4D',
          'ACME-LT-0142',
          'fixed',
          '2024-03-18T09:13:02.000Z',
        ],
        [
          '0F4E2D6C-1A3B-4C5D-8E7F-9A0B1C2D3E4F',
          'ACME-DT-0007',
          'removable',
          '2023-11-02T14:40:10.000Z',
        ],
      ],
    );
    assert.match(items[0]?.recoveryPassword ?? '', /^(\d{6}-){7}\d{6}$/);
  });

  it('reads the Graph bitlockerRecoveryKey list, with volume types as numbers or names', () => {
    const { format, items } = readEscrowExport(fixture('graph-recovery-keys.json'));
    assert.equal(format, 'graph-json');
    assert.deepEqual(
      items.map((i) => [i.protectorId, i.deviceName, i.volumeType, i.createdAt]),
      [
        [
          '2F3A4B5C-6D7E-4F80-91A2-B3C4D5E6F708',
          '4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
          'os',
          '2024-05-02T07:55:31.204Z',
        ],
        [
          'C4D5E6F7-0819-4A2B-8C3D-4E5F60718293',
          '4c1d2e3f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
          'fixed',
          '2024-05-02T07:56:10.110Z',
        ],
        [
          '5E6F7081-92A3-4B4C-9D5E-6F708192A3B4',
          '9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4',
          'removable',
          '2023-09-21T16:02:00.000Z',
        ],
      ],
    );
    assert.equal(items[2]?.recoveryPassword, null, 'a key listed without $select=key has none');
  });

  for (const [name, format] of [
    ['ad-recovery-information.ldf', 'ad-ldif'],
    ['get-adobject.json', 'ad-json'],
  ] as const) {
    it(`reads Active Directory recovery objects (${format}): binary GUIDs, computer and date`, () => {
      const read = readEscrowExport(fixture(name));
      assert.equal(read.format, format);
      assert.deepEqual(
        read.items.map((i) => [i.protectorId, i.deviceName, i.volumeGuid, i.createdAt]),
        [
          [
            'A1B2C3D4-E5F6-4708-9A1B-2C3D4E5F6071',
            'ACME-WS-0311',
            '3E4F5061-7283-4945-A6B7-C8D9EAFB0C1D',
            '2023-05-14T18:21:43.000Z',
          ],
          [
            'D4E5F607-1829-4A3B-8C4D-5E6F708192A3',
            'ACME-WS-0311',
            '3E4F5061-7283-4945-A6B7-C8D9EAFB0C1D',
            '2024-01-09T07:00:12.000Z',
          ],
          [
            '7182930A-4B5C-4D6E-8F70-8192A3B4C5D6',
            'ACME-LT-0099',
            '0A1B2C3D-4E5F-4061-8273-849506172839',
            '2022-12-01T11:30:00.000Z',
          ],
        ],
      );
      assert.ok(read.items.every((i) => /^(\d{6}-){7}\d{6}$/.test(i.recoveryPassword ?? '')));
    });
  }

  it('reads the MBAM recovery database CSV, keeping which keys were disclosed', () => {
    const { format, items } = readEscrowExport(fixture('mbam-recovery-keys.csv'));
    assert.equal(format, 'mbam-csv');
    assert.deepEqual(
      items.map((i) => [i.deviceName, i.volumeGuid, i.createdAt, i.disclosed]),
      [
        ['ACME-WS-1201', '8A9B0C1D-2E3F-4051-9263-748596A7B8C9', '2021-06-30T11:04:55.120Z', false],
        ['ACME-WS-1201', '8A9B0C1D-2E3F-4051-9263-748596A7B8C9', '2022-02-11T08:15:00.000Z', true],
        ['ACME-WS-1202', '9B0C1D2E-3F40-4162-8374-8596A7B8C9DA', '2022-02-11T08:15:00.000Z', false],
      ],
    );
    assert.equal(items[2]?.recoveryPassword, null);
  });

  it("reads Keyhold's own export, leaving out keys that were in the bin", () => {
    const exported = {
      exportedAt: '2026-12-01T10:00:00.000Z',
      keys: [
        {
          protectorId: '64311DEA-4587-4029-924A-BA299647998E',
          recoveryPassword: '235818-357951-253979-013365-241120-245575-342914-591910',
          deviceName: 'ADA-LAPTOP',
          volumeLabel: 'D:',
          volumeType: 'fixed',
          volumeGuid: null,
          source: 'manual',
          createdAt: '2025-01-02T03:04:05.000Z',
          inVault: false,
          deletedAt: null,
        },
        { protectorId: 'x', recoveryPassword: 'y', deletedAt: '2025-02-02T00:00:00.000Z' },
      ],
    };
    const { format, items } = readEscrowExport(Buffer.from(JSON.stringify(exported)));
    assert.equal(format, 'keyhold-json');
    assert.deepEqual(
      items.map((i) => [i.protectorId, i.deviceName, i.volumeLabel, i.volumeType]),
      [['64311DEA-4587-4029-924A-BA299647998E', 'ADA-LAPTOP', 'D:', 'fixed']],
    );
    const csv = readEscrowExport(
      Buffer.from(
        'protectorId,recoveryPassword,deviceName,volumeLabel,volumeType,volumeGuid,source,createdAt,inVault,deletedAt\r\n' +
          '64311DEA-4587-4029-924A-BA299647998E,235818-357951-253979-013365-241120-245575-342914-591910,"ACME, Oslo",C:,os,,manual,2025-01-02T03:04:05.000Z,false,\r\n',
      ),
    );
    assert.equal(csv.format, 'keyhold-csv');
    assert.equal(csv.items[0]?.deviceName, 'ACME, Oslo');
  });

  it('names what it expected when the file is none of these', () => {
    assert.throws(
      () => readEscrowExport(Buffer.from('name,colour\r\nada,blue\r\n')),
      (error) =>
        error instanceof EscrowExportError && error.message.includes('Entra ID or Intune CSV'),
    );
    assert.throws(
      () => readEscrowExport(Buffer.from('{"value": 3')),
      (error) => error instanceof EscrowExportError && error.message.includes('not valid JSON'),
    );
  });
});
