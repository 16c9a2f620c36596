import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  nativeCrypto,
  portableCrypto,
  type NativeBinding,
  type VolumeCrypto,
} from '../../bitlocker/volume/volume-crypto.js';
import type { Wording } from '../../text/wording.js';
import { say } from '../../text/terminal-language.js';
import { volumeMessages } from './messages.js';

/** Where node-gyp puts the addon: native/ at the package root, from src/ or dist/ alike. */
export const addonPath = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'native',
  'build',
  'Release',
  'keyhold_native.node',
);

export interface CryptoChoice {
  crypto: VolumeCrypto;
  /** One line saying which path runs and, for the fallback, why; shown under --verbose. */
  notice: Wording;
}

let chosen: CryptoChoice | undefined;

const bindingFunctions = ['stretchKey', 'createDecryptor', 'decrypt', 'decryptAsync'] as const;

/**
 * Why a loaded addon cannot be used, if it cannot: one built from an older checkout (the code
 * updated, `npm run build:native` not run since) lacks the newer functions, or takes the key
 * stretch's arguments of before (it does not say whether the CPU has SHA instructions).
 */
export function outdatedAddonReason(binding: Record<string, unknown>): Wording | undefined {
  const missing: string[] = bindingFunctions.filter((name) => typeof binding[name] !== 'function');
  if (typeof binding.shaInstructions !== 'boolean') missing.push('shaInstructions');
  if (missing.length === 0) return undefined;
  return volumeMessages.addonOutdated(missing.join(', '));
}

/** How the addon's key stretch runs, for the notice: the CPU's SHA instructions or OpenSSL. */
function stretchText(binding: NativeBinding, useShaInstructions: boolean): Wording {
  if (!useShaInstructions) return volumeMessages.stretchOpenSslByChoice;
  return binding.shaInstructions
    ? volumeMessages.stretchShaInstructions
    : volumeMessages.stretchOpenSslNoSha;
}

/**
 * The native addon when it is built and loads, otherwise the portable WebAssembly path.
 * KEYHOLD_NATIVE=0 forces the portable path (to compare the two, or to rule the addon out);
 * KEYHOLD_NATIVE_SHA=0 keeps the addon's key stretch on OpenSSL, as on a CPU without SHA
 * instructions.
 */
export function chooseVolumeCrypto(): CryptoChoice {
  if (chosen) return chosen;
  if (process.env.KEYHOLD_NATIVE === '0') {
    chosen = {
      crypto: portableCrypto,
      notice: volumeMessages.cryptoWebAssemblyByChoice,
    };
    return chosen;
  }
  try {
    const loaded = createRequire(import.meta.url)(addonPath) as Record<string, unknown>;
    const outdated = outdatedAddonReason(loaded);
    if (outdated) {
      chosen = {
        crypto: portableCrypto,
        notice: volumeMessages.cryptoAddonUnusable(outdated),
      };
    } else {
      const binding = loaded as unknown as NativeBinding;
      const useShaInstructions = process.env.KEYHOLD_NATIVE_SHA !== '0';
      chosen = {
        crypto: nativeCrypto(binding, useShaInstructions),
        notice: volumeMessages.cryptoNative(addonPath, stretchText(binding, useShaInstructions)),
      };
    }
  } catch (error) {
    const loaderSaid = (error as Error).message.split('\n')[0] ?? '';
    const reason =
      (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
        ? volumeMessages.addonNotBuilt
        : { en: loaderSaid, nb: loaderSaid };
    chosen = { crypto: portableCrypto, notice: volumeMessages.cryptoAddonUnloadable(reason) };
  }
  return chosen;
}

/** Picks the implementation and, with --verbose, says which on standard error. */
export function volumeCrypto(flags: { verbose?: boolean }): VolumeCrypto {
  const choice = chooseVolumeCrypto();
  if (flags.verbose) process.stderr.write(`${say(choice.notice)}\n`);
  return choice.crypto;
}
