import type { KeyCheck } from '../../bitlocker/volume/volume.js';
import { verifyVolumeKey } from '../../bitlocker/volume/volume.js';
import { ExitCode, printJson, printLine, style } from '../output.js';
import type { SecretFlags } from './secret-flags.js';
import { compileWebAssemblyOptimized, secretFromFlags } from './secret-input.js';
import { withImage } from './volume-errors.js';

/** The sentence for a key that does not open a volume, with what the volume does have. */
export function doesNotOpenMessage(check: Extract<KeyCheck, { opens: false }>): string {
  const present = check.protectors.map((p) => `${p.type} ${p.id}`).join(', ');
  const detail =
    check.reason === 'no-matching-protector'
      ? `the volume has no ${check.triedType} protector (it has: ${present || 'none'})`
      : `it matches none of the volume's ${check.triedType} protectors`;
  return `this key does not open this volume: ${detail}.`;
}

export async function runVerify(
  path: string,
  flags: SecretFlags & { json?: boolean },
): Promise<void> {
  const secret = await secretFromFlags(flags);
  compileWebAssemblyOptimized();
  const check = await withImage(path, (source) => verifyVolumeKey(source, secret));
  if (check.opens) {
    if (flags.json) {
      printJson({
        opens: true,
        volumeGuid: check.volumeGuid,
        protectorId: check.protector.id,
        protectorType: check.protector.type,
      });
    } else {
      printLine(
        `${style.green('opens')} ${check.protector.id} (${check.protector.type}) on volume ${check.volumeGuid}`,
      );
    }
    return;
  }
  const message = doesNotOpenMessage(check);
  if (flags.json) {
    printJson({
      opens: false,
      volumeGuid: check.volumeGuid,
      reason: check.reason,
      message,
      protectors: check.protectors,
    });
  }
  process.stderr.write(`${style.red('no:', process.stderr)} ${message}\n`);
  process.exitCode = ExitCode.negative;
}
