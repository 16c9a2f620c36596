import { groupedDigits, type Language } from '../../text/wording.js';
import type { ConversionStatus, EncryptionMode, VolumeConversion } from './metadata.js';

/** Mode and conversion words, in the terms Windows uses in each language. */
const words = {
  en: {
    mode: { full: 'full (whole drive)', 'used-space-only': 'used space only (encrypt on write)' },
    conversion: {
      'fully-encrypted': 'fully encrypted',
      encrypting: 'encrypting (in progress)',
      decrypting: 'decrypting (in progress)',
      paused: 'paused',
      decrypted: 'fully decrypted',
      unknown: 'unknown',
    },
    pausedWhile: { encrypting: 'paused while encrypting', decrypting: 'paused while decrypting' },
    of: 'of',
    bytes: 'bytes',
    locale: 'en-US',
  },
  nb: {
    mode: {
      full: 'hele stasjonen',
      'used-space-only': 'bare brukt diskplass (krypter ved skriving)',
    },
    conversion: {
      'fully-encrypted': 'fullstendig kryptert',
      encrypting: 'krypteres (pågår)',
      decrypting: 'dekrypteres (pågår)',
      paused: 'midlertidig stanset',
      decrypted: 'fullstendig dekryptert',
      unknown: 'ukjent',
    },
    pausedWhile: {
      encrypting: 'kryptering midlertidig stanset',
      decrypting: 'dekryptering midlertidig stanset',
    },
    of: 'av',
    bytes: 'byte',
    locale: 'nb-NO',
  },
} satisfies Record<
  Language,
  {
    mode: Record<EncryptionMode, string>;
    conversion: Record<ConversionStatus, string>;
    pausedWhile: Record<NonNullable<VolumeConversion['pausedWhile']>, string>;
    of: string;
    bytes: string;
    locale: string;
  }
>;

export function modeWords(mode: EncryptionMode, language: Language): string {
  return words[language].mode[mode];
}

export function conversionWords(
  status: ConversionStatus,
  pausedWhile: VolumeConversion['pausedWhile'],
  language: Language,
): string {
  const wording = words[language];
  return status === 'paused' && pausedWhile
    ? wording.pausedWhile[pausedWhile]
    : wording.conversion[status];
}

/** "52,428,800 of 104,857,600 bytes (50 %)", or the encrypted bytes alone when the size is unknown. */
export function encryptedProgress(
  encryptedSize: number,
  volumeSize: number | undefined,
  language: Language,
): string {
  const wording = words[language];
  const bytes = (size: number) => groupedDigits(size, language);
  if (volumeSize === undefined || volumeSize === 0) {
    return `${bytes(encryptedSize)} ${wording.bytes}`;
  }
  const share = Math.min(encryptedSize / volumeSize, 1).toLocaleString(wording.locale, {
    style: 'percent',
    maximumFractionDigits: 1,
  });
  return `${bytes(encryptedSize)} ${wording.of} ${bytes(volumeSize)} ${wording.bytes} (${share})`;
}

/** What `conversionRefusal` words: the volume's conversion, its size and its raw state fields. */
export interface RefusedConversion {
  conversion: VolumeConversion;
  volumeSize: number | undefined;
  stateCodes: { current: number; next: number };
}

/** Why `unlock` will not decrypt a volume, naming its mode and its conversion. */
export function conversionRefusal(refused: RefusedConversion, language: Language): string {
  const { conversion, volumeSize, stateCodes } = refused;
  const status =
    conversion.status === 'unknown'
      ? `${words[language].conversion.unknown} (${stateCodes.current}/${stateCodes.next})`
      : conversionWords(conversion.status, conversion.pausedWhile, language);
  const progress = encryptedProgress(conversion.encryptedSize, volumeSize, language);
  const mode = modeWords(conversion.mode, language);
  if (language === 'nb') {
    const advice =
      conversion.mode === 'used-space-only'
        ? 'Når bare brukt diskplass er kryptert, må resten ikke røres. Lås den opp i Windows.'
        : conversion.status === 'decrypted'
          ? 'Dataene er ikke kryptert: les volumet som det er.'
          : 'Før konverteringen er ferdig, kan ikke Keyhold skille krypterte sektorer fra ukrypterte. La Windows gjøre den ferdig, og prøv igjen.';
    return `Keyhold dekrypterer ikke dette volumet: krypteringsmodus ${mode}, konvertering ${status}, kryptert ${progress}. ${advice}`;
  }
  const advice =
    conversion.mode === 'used-space-only'
      ? 'With used-space-only encryption only the used space is encrypted and the rest must not be touched. Unlock it on Windows.'
      : conversion.status === 'decrypted'
        ? 'Its data is not encrypted: read the volume as it is.'
        : 'Until the conversion has finished, Keyhold cannot tell encrypted sectors from plain ones. Let Windows finish it, then try again.';
  return `Keyhold does not decrypt this volume: encryption mode ${mode}, conversion ${status}, encrypted ${progress}. ${advice}`;
}
