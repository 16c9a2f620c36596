import { parseLuksRecoveryPassphrase } from './recovery-passphrase.js';

/**
 * The text file a LUKS recovery passphrase is downloaded as: plain UTF-8 with Linux line ends,
 * naming the volume by its LUKS UUID (what `cryptsetup luksUUID` and /etc/crypttab show) and
 * the key slot, with the passphrase on a line of its own for copying.
 */

export interface LuksRecoveryFileInput {
  uuid: string;
  slot: number;
  passphrase: string;
  deviceName: string;
  volumeLabel: string;
  language: 'en' | 'nb';
}

const wording = {
  en: {
    title: 'LUKS recovery passphrase',
    intro: 'This passphrase unlocks the encrypted Linux volume below when it asks for one.',
    device: 'Device',
    volume: 'Volume',
    uuid: 'LUKS UUID',
    slot: 'Key slot',
    passphrase: 'Recovery passphrase',
    typing: 'Type it exactly as shown, dashes included.',
  },
  nb: {
    title: 'LUKS-gjenopprettingspassfrase',
    intro: 'Denne passfrasen låser opp det krypterte Linux-volumet nedenfor når det ber om en.',
    device: 'Enhet',
    volume: 'Volum',
    uuid: 'LUKS-UUID',
    slot: 'Nøkkelplass',
    passphrase: 'Gjenopprettingspassfrase',
    typing: 'Skriv den nøyaktig slik den står, med bindestrekene.',
  },
} as const;

export function writeLuksRecoveryFile(input: LuksRecoveryFileInput): {
  fileName: string;
  bytes: Buffer;
} {
  const passphrase = parseLuksRecoveryPassphrase(input.passphrase);
  if (passphrase === undefined) throw new RangeError('not a LUKS recovery passphrase');
  const words = wording[input.language];
  const text = [
    words.title,
    '',
    words.intro,
    '',
    `${words.device}: ${input.deviceName}`,
    `${words.volume}: ${input.volumeLabel}`,
    `${words.uuid}: ${input.uuid}`,
    `${words.slot}: ${input.slot}`,
    '',
    `${words.passphrase}:`,
    '',
    passphrase,
    '',
    words.typing,
    '',
  ].join('\n');
  return {
    fileName: `LUKS Recovery Passphrase ${input.uuid.slice(0, 8)}.txt`,
    bytes: Buffer.from(text, 'utf8'),
  };
}
