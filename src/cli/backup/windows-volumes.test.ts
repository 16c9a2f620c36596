import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeText } from '../../bitlocker/text-decoding.js';
import { CliError, ExitCode } from '../output.js';
import { CommandFailedError, readLocalVolumeKeys, type CommandRunner } from './windows-volumes.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures/windows-output');

function fixture(name: string): Buffer {
  return readFileSync(join(fixtures, name));
}

/**
 * Windows' own tools cannot run here: this runner answers with their recorded output, and
 * records what was asked so the test can see which tools were tried.
 */
function recordedWindows(answers: Record<string, Buffer | CommandFailedError>) {
  const calls: string[] = [];
  const run: CommandRunner = (command, args) => {
    const call = [command, ...args.filter((arg) => !arg.includes(' '))].join(' ');
    calls.push(call);
    const answer = answers[call];
    if (answer === undefined) return Promise.reject(new Error(`unexpected call: ${call}`));
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { run, calls };
}

const powershell = 'powershell.exe -NoProfile -NonInteractive -Command';

/** The two manage-bde runs of the English fixture, one per volume, as each call prints them. */
function protectorsRun(volume: string): Buffer {
  const text = decodeText(fixture('manage-bde-protectors-get-en.txt')).text;
  const runs = text.split(/(?=BitLocker Drive Encryption: Configuration Tool)/);
  const run = runs.find((part) => part.includes(`Volume ${volume} [`));
  assert.ok(run, `the fixture has a run for ${volume}`);
  return Buffer.from(run, 'latin1');
}

describe("this Windows computer's recovery keys", () => {
  it('come from Get-BitLockerVolume (Windows PowerShell 5.1 output, UTF-16)', async () => {
    const windows = recordedWindows({ [powershell]: fixture('get-bitlockervolume-ps51.json') });
    const keys = await readLocalVolumeKeys(windows.run);
    assert.deepEqual(keys, [
      {
        protectorId: 'D7A7B2A7-8D34-4922-A833-8316F9ACC89F',
        recoveryPassword: '253308-238788-185746-710985-628056-104511-331276-350790',
        volume: 'C:',
        volumeType: 'os',
        deviceName: 'DESKTOP-7QK2M4N',
        source: 'this computer (Get-BitLockerVolume)',
      },
      {
        protectorId: 'A09ADC6A-57B9-45C2-9CEE-4CE1BF7CB548',
        recoveryPassword: '384516-237028-640981-235862-085525-414865-648648-012617',
        volume: 'D:',
        volumeType: 'fixed',
        deviceName: 'DESKTOP-7QK2M4N',
        source: 'this computer (Get-BitLockerVolume)',
      },
    ]);
    assert.deepEqual(windows.calls, [powershell]);
  });

  it('come from manage-bde when the BitLocker PowerShell module is missing', async () => {
    const missingModule = new CommandFailedError(
      'powershell.exe',
      false,
      "Get-BitLockerVolume : The term 'Get-BitLockerVolume' is not recognized as the name of a cmdlet",
    );
    const windows = recordedWindows({
      [powershell]: missingModule,
      'manage-bde.exe -status': fixture('manage-bde-status-en.txt'),
      'manage-bde.exe -protectors -get C:': protectorsRun('C:'),
      'manage-bde.exe -protectors -get D:': protectorsRun('D:'),
      'manage-bde.exe -protectors -get E:': new CommandFailedError(
        'manage-bde.exe',
        false,
        'ERROR: No key protectors found.',
      ),
    });
    const keys = await readLocalVolumeKeys(windows.run);
    assert.deepEqual(
      keys.map(({ protectorId, volume, volumeType, source }) => ({
        protectorId,
        volume,
        volumeType,
        source,
      })),
      [
        {
          protectorId: 'D7A7B2A7-8D34-4922-A833-8316F9ACC89F',
          volume: 'C:',
          volumeType: 'os',
          source: 'this computer (manage-bde)',
        },
        {
          protectorId: 'A09ADC6A-57B9-45C2-9CEE-4CE1BF7CB548',
          volume: 'D:',
          volumeType: 'fixed',
          source: 'this computer (manage-bde)',
        },
      ],
    );
    assert.equal(
      keys[1]?.recoveryPassword,
      '384516-237028-640981-235862-085525-414865-648648-012617',
    );
  });

  it('ask for an administrator when Windows refuses to show them', async () => {
    const windows = recordedWindows({
      [powershell]: new CommandFailedError(
        'powershell.exe',
        false,
        'Get-BitLockerVolume : Access is denied. (Exception from HRESULT: 0x80070005)',
      ),
    });
    await assert.rejects(readLocalVolumeKeys(windows.run), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.match(error.message, /Run as administrator/);
      assert.equal(error.exitCode, ExitCode.environment);
      return true;
    });
  });
});
