import { inspectVolume, type VolumeInspection } from '../../bitlocker/volume/inspection.js';
import { readBitLockerVolume } from '../../bitlocker/volume/volume.js';
import { escapeForTerminal, printJson, printLine, style } from '../output.js';
import { withImage } from './volume-errors.js';

const methodNames: Record<VolumeInspection['encryptionMethod'], string> = {
  'aes-cbc-128-elephant': 'AES-CBC 128-bit with Elephant diffuser',
  'aes-cbc-256-elephant': 'AES-CBC 256-bit with Elephant diffuser',
  'aes-cbc-128': 'AES-CBC 128-bit',
  'aes-cbc-256': 'AES-CBC 256-bit',
  'aes-xts-128': 'XTS-AES 128-bit',
  'aes-xts-256': 'XTS-AES 256-bit',
  unknown: 'unknown',
};

const stateNames: Record<VolumeInspection['state'], string> = {
  'fully-encrypted': 'fully encrypted',
  'used-space-only': 'used space only (encrypt on write)',
  'partially-encrypted': 'partially encrypted (conversion interrupted or paused)',
  decrypted: 'not encrypted (decrypted)',
};

const copyStates: Record<VolumeInspection['metadataCopies'][number]['status'], string> = {
  good: 'good',
  'bad-crc': 'CRC mismatch, skipped',
  damaged: 'damaged, skipped',
};

function when(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '';
}

/**
 * The report a person reads. The description and the path come from the volume and the command
 * line, so anything in them that would steer the terminal is shown escaped.
 */
export function inspectionLines(path: string, info: VolumeInspection): string[] {
  const mib = (info.encryptedSize / 1024 / 1024).toFixed(info.encryptedSize < 1 << 30 ? 1 : 0);
  const rows: [string, string][] = [
    ['Volume GUID', info.volumeGuid],
    ['Encryption', methodNames[info.encryptionMethod]],
    ['Sector size', `${info.sectorSize} bytes`],
    ['Encrypted size', `${info.encryptedSize.toLocaleString('en-US')} bytes (${mib} MiB)`],
    ['State', stateNames[info.state]],
    ['Created', when(info.createdAt)],
    ['Description', escapeForTerminal(info.description)],
    ['Kind', info.kind === 'to-go' ? 'BitLocker To Go (removable drive)' : 'fixed drive'],
  ];
  const lines = [`${style.bold('BitLocker volume')} ${escapeForTerminal(path)}`];
  for (const [label, value] of rows) lines.push(`  ${label.padEnd(16)}${value}`);
  lines.push(style.bold(`Protectors (${info.protectors.length})`));
  for (const protector of info.protectors) {
    const type =
      protector.type === 'unknown' ? `unknown (${protector.protectionCode ?? ''})` : protector.type;
    lines.push(`  ${protector.id}  ${type.padEnd(18)}  ${when(protector.createdAt)}`.trimEnd());
  }
  lines.push(style.bold('Metadata copies'));
  info.metadataCopies.forEach((copy, i) => {
    const state = copy.status === 'good' ? style.green('good') : copyStates[copy.status];
    lines.push(`  ${i + 1}  at byte ${copy.offset}  ${state}`);
  });
  return lines;
}

export async function runInspect(path: string, flags: { json?: boolean }): Promise<void> {
  const info = await withImage(path, async (source) =>
    inspectVolume(await readBitLockerVolume(source)),
  );
  if (flags.json) printJson(info);
  else for (const line of inspectionLines(path, info)) printLine(line);
}
