import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ManageBdeError,
  manageBdeOutputKind,
  parseManageBdeAddedRecoveryPassword,
  parseManageBdeProtectors,
  parseManageBdeStatus,
} from './manage-bde.js';
import { decodeText } from './text-decoding.js';

const fixture = (name: string): string =>
  decodeText(readFileSync(join(import.meta.dirname, '../../test/fixtures/windows-output', name)))
    .text;

describe('manage-bde -protectors -get', () => {
  it('reads two runs for two volumes with TPM, password, external key and password protectors', () => {
    const volumes = parseManageBdeProtectors(fixture('manage-bde-protectors-get-en.txt'));
    assert.deepEqual(
      volumes.map((volume) => ({
        mountPoint: volume.mountPoint,
        label: volume.label,
        protectors: volume.protectors.map(({ id, type, recoveryPassword, keyFileName }) => ({
          id,
          type,
          ...(recoveryPassword ? { recoveryPassword } : {}),
          ...(keyFileName ? { keyFileName } : {}),
        })),
      })),
      [
        {
          mountPoint: 'C:',
          label: 'Windows',
          protectors: [
            { id: '2D97498B-5119-452B-8497-6E6D1C853A49', type: 'tpm' },
            {
              id: 'D7A7B2A7-8D34-4922-A833-8316F9ACC89F',
              type: 'recovery-password',
              recoveryPassword: '253308-238788-185746-710985-628056-104511-331276-350790',
            },
          ],
        },
        {
          mountPoint: 'D:',
          label: 'Data',
          protectors: [
            {
              id: 'FC50744B-810D-4800-A937-14DE50211D2B',
              type: 'external-key',
              keyFileName: 'FC50744B-810D-4800-A937-14DE50211D2B.BEK',
            },
            {
              id: 'A09ADC6A-57B9-45C2-9CEE-4CE1BF7CB548',
              type: 'recovery-password',
              recoveryPassword: '384516-237028-640981-235862-085525-414865-648648-012617',
            },
            { id: '20AADB87-C8AD-4E33-80A4-1502CD3C6D3D', type: 'password' },
          ],
        },
      ],
    );
  });

  it('reads German output saved by PowerShell as UTF-16', () => {
    const [volume, ...others] = parseManageBdeProtectors(
      fixture('manage-bde-protectors-get-de.txt'),
    );
    assert.equal(others.length, 0);
    assert.equal(volume?.mountPoint, 'C:');
    assert.deepEqual(
      volume.protectors.map(({ type, heading }) => ({ type, heading })),
      [
        { type: 'tpm-pin', heading: 'TPM und PIN' },
        { type: 'recovery-password', heading: 'Numerisches Kennwort' },
      ],
    );
    assert.equal(
      volume.protectors[1]?.recoveryPassword,
      '294712-313533-606023-666886-300410-117062-406417-336864',
    );
  });

  it('tells types apart in a language it has no words for, by what each block holds', () => {
    const polish = [
      'Wolumin C: [System]',
      'Wszystkie funkcje ochrony klucza',
      '',
      '    Hasło numeryczne:',
      '      Identyfikator: {D7A7B2A7-8D34-4922-A833-8316F9ACC89F}',
      '      Hasło:',
      '        253308-238788-185746-710985-628056-104511-331276-350790',
      '',
      '    Klucz zewnętrzny:',
      '      Identyfikator: {FC50744B-810D-4800-A937-14DE50211D2B}',
      '      Nazwa pliku klucza zewnętrznego:',
      '        FC50744B-810D-4800-A937-14DE50211D2B.BEK',
      '',
      '    Moduł TPM:',
      '      Identyfikator: {2D97498B-5119-452B-8497-6E6D1C853A49}',
      '',
    ].join('\r\n');
    const [volume] = parseManageBdeProtectors(polish);
    assert.deepEqual(
      volume?.protectors.map((protector) => protector.type),
      ['recovery-password', 'external-key', 'unknown'],
    );
  });

  it('reads the "Key Protectors Added" output, which names no volume', () => {
    const added = [
      'Key Protectors Added:',
      '    External Key:',
      '      ID: {4BB89AC4-C100-4214-A5DD-8FE1FC905CC7}',
      '      External Key File Name:',
      '        4BB89AC4-C100-4214-A5DD-8FE1FC905CC7.BEK',
      '      Automatic unlock enabled.',
    ].join('\n');
    const [volume] = parseManageBdeProtectors(added);
    assert.ok(volume);
    assert.equal(volume.mountPoint, undefined);
    assert.equal(volume.protectors[0]?.type, 'external-key');
  });

  it('refuses text without protector lines', () => {
    assert.throws(
      () => parseManageBdeProtectors(fixture('manage-bde-status-en.txt')),
      (error: unknown) => error instanceof ManageBdeError && error.code === 'no-protectors',
    );
  });
});

describe('manage-bde -status', () => {
  it('reads every volume with its fields and protector types', () => {
    const text = fixture('manage-bde-status-en.txt');
    assert.equal(manageBdeOutputKind(text), 'status');
    const volumes = parseManageBdeStatus(text);
    assert.deepEqual(
      volumes.map(({ mountPoint, label, role, keyProtectorTypes }) => ({
        mountPoint,
        label,
        role,
        keyProtectorTypes,
      })),
      [
        {
          mountPoint: 'C:',
          label: 'Windows',
          role: 'OS Volume',
          keyProtectorTypes: ['tpm', 'recovery-password'],
        },
        {
          mountPoint: 'D:',
          label: 'Data',
          role: 'Data Volume',
          keyProtectorTypes: ['external-key', 'recovery-password', 'password'],
        },
        { mountPoint: 'E:', label: 'USB STICK', role: 'Data Volume', keyProtectorTypes: [] },
      ],
    );
    assert.deepEqual(
      volumes[0]?.fields.find((field) => field.label === 'Encryption Method'),
      {
        label: 'Encryption Method',
        value: 'XTS-AES 128',
      },
    );
  });

  it('reads German status output', () => {
    const text = fixture('manage-bde-status-de.txt');
    assert.equal(manageBdeOutputKind(text), 'status');
    const [volume] = parseManageBdeStatus(text);
    assert.equal(volume?.mountPoint, 'C:');
    assert.equal(volume.role, 'Betriebssystemvolume');
    assert.deepEqual(volume.keyProtectorTypes, ['tpm-pin', 'recovery-password']);
    assert.equal(
      volume.fields.find((field) => field.label === 'Verschlüsselungsmethode')?.value,
      'XTS-AES 128',
    );
  });

  it('tells the two kinds of output from anything else', () => {
    assert.equal(manageBdeOutputKind(fixture('manage-bde-protectors-get-de.txt')), 'protectors');
    assert.equal(manageBdeOutputKind('Volume C: is a nice drive.\nIt has files.'), undefined);
    assert.throws(() => parseManageBdeStatus('hello'), /no volume headings/);
  });
});

describe('manage-bde -protectors -add -RecoveryPassword', () => {
  it('reads the added protector, not the password the note below repeats, in English and German', () => {
    assert.deepEqual(
      parseManageBdeAddedRecoveryPassword(fixture('manage-bde-protectors-add-en.txt')),
      {
        id: '5B0C3E52-7D1A-4F0B-9E64-2A8C1D3F9B70',
        recoveryPassword: '347006-480920-295350-705661-014366-599192-135278-434676',
      },
    );
    assert.deepEqual(
      parseManageBdeAddedRecoveryPassword(fixture('manage-bde-protectors-add-de.txt')),
      {
        id: 'C41E9A07-3B62-4D8E-A1F5-60D7E2B94C18',
        recoveryPassword: '097603-668118-574794-148071-069399-466730-478819-254100',
      },
    );
  });

  it('refuses output that names no added numerical password', () => {
    assert.throws(
      () => parseManageBdeAddedRecoveryPassword(fixture('manage-bde-status-en.txt')),
      ManageBdeError,
    );
    // The listing of a volume with two numerical passwords is not the answer of one add.
    assert.throws(
      () => parseManageBdeAddedRecoveryPassword(fixture('manage-bde-protectors-get-en.txt')),
      /names 2 added numerical passwords/,
    );
  });
});
