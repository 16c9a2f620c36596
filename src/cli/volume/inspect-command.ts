import {
  conversionWords,
  encryptedProgress,
  modeWords,
} from '../../bitlocker/volume/conversion-wording.js';
import { inspectVolume, type VolumeInspection } from '../../bitlocker/volume/inspection.js';
import { readBitLockerVolume } from '../../bitlocker/volume/volume.js';
import { terminalLanguage } from '../../text/terminal-language.js';
import type { Language } from '../../text/wording.js';
import { escapeForTerminal, printJson, printLine, style } from '../output.js';
import { withImage } from './volume-errors.js';

type Method = VolumeInspection['encryptionMethod'];
type CopyStatus = VolumeInspection['metadataCopies'][number]['status'];

interface ReportWording {
  title: string;
  labels: {
    guid: string;
    method: string;
    sectorSize: string;
    mode: string;
    conversion: string;
    encrypted: string;
    created: string;
    description: string;
    kind: string;
  };
  methods: Record<Method, string>;
  bytes: string;
  kinds: Record<VolumeInspection['kind'], string>;
  protectors: string;
  unknownType: string;
  copies: string;
  atByte: string;
  copyStates: Record<CopyStatus, string>;
}

const wordings: Record<Language, ReportWording> = {
  en: {
    title: 'BitLocker volume',
    labels: {
      guid: 'Volume GUID',
      method: 'Encryption',
      sectorSize: 'Sector size',
      mode: 'Mode',
      conversion: 'Conversion',
      encrypted: 'Encrypted',
      created: 'Created',
      description: 'Description',
      kind: 'Kind',
    },
    methods: {
      'aes-cbc-128-elephant': 'AES-CBC 128-bit with Elephant diffuser',
      'aes-cbc-256-elephant': 'AES-CBC 256-bit with Elephant diffuser',
      'aes-cbc-128': 'AES-CBC 128-bit',
      'aes-cbc-256': 'AES-CBC 256-bit',
      'aes-xts-128': 'XTS-AES 128-bit',
      'aes-xts-256': 'XTS-AES 256-bit',
      unknown: 'unknown',
    },
    bytes: 'bytes',
    kinds: { fixed: 'fixed drive', 'to-go': 'BitLocker To Go (removable drive)' },
    protectors: 'Protectors',
    unknownType: 'unknown',
    copies: 'Metadata copies',
    atByte: 'at byte',
    copyStates: { good: 'good', 'bad-crc': 'CRC mismatch, skipped', damaged: 'damaged, skipped' },
  },
  nb: {
    title: 'BitLocker-volum',
    labels: {
      guid: 'Volum-GUID',
      method: 'Kryptering',
      sectorSize: 'Sektorstørrelse',
      mode: 'Modus',
      conversion: 'Konvertering',
      encrypted: 'Kryptert',
      created: 'Opprettet',
      description: 'Beskrivelse',
      kind: 'Type',
    },
    methods: {
      'aes-cbc-128-elephant': 'AES-CBC 128-biters med Elephant-diffusor',
      'aes-cbc-256-elephant': 'AES-CBC 256-biters med Elephant-diffusor',
      'aes-cbc-128': 'AES-CBC 128-biters',
      'aes-cbc-256': 'AES-CBC 256-biters',
      'aes-xts-128': 'XTS-AES 128-biters',
      'aes-xts-256': 'XTS-AES 256-biters',
      unknown: 'ukjent',
    },
    bytes: 'byte',
    kinds: { fixed: 'fast stasjon', 'to-go': 'BitLocker To Go (flyttbar stasjon)' },
    protectors: 'Nøkkelbeskyttere',
    unknownType: 'ukjent',
    copies: 'Metadatakopier',
    atByte: 'ved byte',
    copyStates: {
      good: 'god',
      'bad-crc': 'CRC stemmer ikke, hoppet over',
      damaged: 'skadet, hoppet over',
    },
  },
};

function when(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '';
}

/**
 * The report a person reads. The description and the path come from the volume and the command
 * line, so anything in them that would steer the terminal is shown escaped.
 */
export function inspectionLines(
  path: string,
  info: VolumeInspection,
  language: Language = 'en',
): string[] {
  const wording = wordings[language];
  const { labels } = wording;
  const rows: [string, string][] = [
    [labels.guid, info.volumeGuid],
    [labels.method, wording.methods[info.encryptionMethod]],
    [labels.sectorSize, `${info.sectorSize} ${wording.bytes}`],
    [labels.mode, modeWords(info.mode, language)],
    [labels.conversion, conversionWords(info.conversion, info.pausedWhile, language)],
    [labels.encrypted, encryptedProgress(info.encryptedSize, info.volumeSize, language)],
    [labels.created, when(info.createdAt)],
    [labels.description, escapeForTerminal(info.description)],
    [labels.kind, wording.kinds[info.kind]],
  ];
  const lines = [`${style.bold(wording.title)} ${escapeForTerminal(path)}`];
  for (const [label, value] of rows) lines.push(`  ${label.padEnd(17)}${value}`);
  lines.push(style.bold(`${wording.protectors} (${info.protectors.length})`));
  for (const protector of info.protectors) {
    const type =
      protector.type === 'unknown'
        ? `${wording.unknownType} (${protector.protectionCode ?? ''})`
        : protector.type;
    lines.push(`  ${protector.id}  ${type.padEnd(18)}  ${when(protector.createdAt)}`.trimEnd());
  }
  lines.push(style.bold(wording.copies));
  info.metadataCopies.forEach((copy, i) => {
    const state =
      copy.status === 'good'
        ? style.green(wording.copyStates.good)
        : wording.copyStates[copy.status];
    lines.push(`  ${i + 1}  ${wording.atByte} ${copy.offset}  ${state}`);
  });
  return lines;
}

export async function runInspect(path: string, flags: { json?: boolean }): Promise<void> {
  const info = await withImage(path, async (source) =>
    inspectVolume(await readBitLockerVolume(source)),
  );
  if (flags.json) printJson(info);
  else for (const line of inspectionLines(path, info, terminalLanguage())) printLine(line);
}
