import { say } from '../../text/terminal-language.js';
import { CliError } from '../output.js';
import type { BackupFlags } from './backup-flags.js';
import { deviceNameOf } from './backup-key.js';
import {
  candidateKeys,
  checkDestinationFlags,
  language,
  noKeySource,
  paper,
  parseDestinations,
  performBackup,
  pickKey,
  planFromFlags,
  protectedVolumeOf,
  tooManyKeys,
} from './backup-plan.js';
import { checkedKey } from './image-check.js';
import { backupMessages } from './messages.js';
import { createProgress } from './progress.js';

export async function runBackup(flags: BackupFlags): Promise<void> {
  const lang = language(flags);
  const sheetPaper = paper(flags);
  const interactive =
    !flags.yes &&
    !flags.json &&
    process.stdin.isTTY &&
    process.stdout.isTTY &&
    flags.from !== '-' &&
    flags.password !== '-';
  if (interactive) {
    const { runBackupWizard } = await import('./backup-wizard.js');
    await runBackupWizard(flags, { lang, paper: sheetPaper });
    return;
  }
  if (flags.to === undefined) {
    throw new CliError(say(backupMessages.whereTo));
  }
  const destinations = parseDestinations(flags.to);
  checkDestinationFlags(flags, destinations);
  const candidates = await candidateKeys(flags);
  if (!candidates) throw noKeySource();
  if (candidates.length === 0) throw noKeySource();
  const chosen = pickKey(candidates, flags);
  if (Array.isArray(chosen)) throw tooManyKeys(chosen);
  const picked = await checkedKey(chosen, flags.image, createProgress(flags));
  const planned = await planFromFlags(flags, destinations);
  await performBackup(
    planned,
    {
      key: picked,
      ...deviceNameOf(flags.deviceName, picked),
      lang,
      paper: sheetPaper,
      ...(protectedVolumeOf(picked) ? { protectedVolume: protectedVolumeOf(picked) } : {}),
    },
    flags,
  );
}
