import { verifyVolumeKey, type KeyCheck } from '../../bitlocker/volume/volume.js';
import { say } from '../../text/terminal-language.js';
import { CliError, ExitCode } from '../output.js';
import { chooseVolumeCrypto } from '../volume/native-crypto.js';
import { compileWebAssemblyOptimized } from '../volume/secret-input.js';
import { doesNotOpenMessage } from '../volume/verify-command.js';
import { withImage } from '../volume/volume-errors.js';
import { typedRecoveryPassword, type BackupKey } from './backup-key.js';
import { backupMessages } from './messages.js';
import type { Progress } from './progress.js';

/** Tries a recovery password on a BitLocker image or device; reads metadata only. */
export async function checkAgainstImage(
  image: string,
  recoveryPassword: string,
  progress: Progress,
): Promise<KeyCheck> {
  const { crypto } = chooseVolumeCrypto();
  if (crypto.name === 'webassembly') compileWebAssemblyOptimized();
  progress.start(say(backupMessages.checkingAgainstImage(image)));
  try {
    return await withImage(image, (source) =>
      verifyVolumeKey(source, { kind: 'recovery-password', password: recoveryPassword }, crypto),
    );
  } finally {
    progress.stop();
  }
}

/**
 * Proves that the key opens the volume in `image` through the protector it claims to be, before
 * anything is saved: a backup of a key that does not open its drive would only fail the day it
 * is needed.
 */
export async function verifyKeyOpensImage(
  key: BackupKey,
  image: string,
  progress: Progress,
): Promise<BackupKey> {
  const check = await checkAgainstImage(image, key.recoveryPassword, progress);
  if (!check.opens) {
    throw new CliError(
      say(backupMessages.imageNotOpened(image, doesNotOpenMessage(check))),
      ExitCode.negative,
    );
  }
  if (check.protector.id !== key.protectorId) {
    throw new CliError(
      say(backupMessages.imageOtherProtector(image, check.protector.id, key.protectorId)),
      ExitCode.negative,
    );
  }
  return { ...key, volumeGuid: check.volumeGuid, verifiedAgainst: image };
}

/**
 * A key from --password alone: the volume in `image` says which protector it opens, so the
 * Key ID need not be typed (and cannot be typed wrong).
 */
export async function keyFromImage(
  image: string,
  password: string,
  progress: Progress,
): Promise<BackupKey> {
  const recoveryPassword = await typedRecoveryPassword(password);
  const check = await checkAgainstImage(image, recoveryPassword, progress);
  if (!check.opens) {
    throw new CliError(
      say(backupMessages.imageNotOpened(image, doesNotOpenMessage(check))),
      ExitCode.negative,
    );
  }
  return {
    protectorId: check.protector.id,
    recoveryPassword,
    volumeGuid: check.volumeGuid,
    verifiedAgainst: image,
    source: `typed in, opens ${image}`,
  };
}

/** The key, proven against --image when one was given and not proven already. */
export async function checkedKey(
  key: BackupKey,
  image: string | undefined,
  progress: Progress,
): Promise<BackupKey> {
  if (image === undefined || key.verifiedAgainst === image) return key;
  return verifyKeyOpensImage(key, image, progress);
}
