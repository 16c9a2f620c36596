import { BitLockerFormatError } from '../../../bitlocker/errors.js';
import { bufferSource, readKeySource, type FoundKey } from '../../../bitlocker/key-sources.js';
import { parseProtectorId, type ProtectorType } from '../../../bitlocker/protector-id.js';
import { parseRecoveryPassword } from '../../../bitlocker/recovery-password.js';
import { newId } from '../../../db/ids.js';
import { userOwner } from '../../../db/owners.js';
import type { VolumeType } from '../../../db/schema.js';
import { hasUnsafeCharacters } from '../../../text/unsafe-characters.js';
import { origin, type Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { InvalidCharactersError, ValidationError } from '../../errors.js';
import * as repo from './repo.js';
import {
  KeyConflictError,
  passwordRef,
  retryingOnDuplicate,
  storeKey,
  type ValidKey,
} from './service.js';

/** Key files and tool output are a few kilobytes; a megabyte leaves room for long outputs. */
export const maximumUploadBytes = 1024 * 1024;

export interface Upload {
  fileName: string;
  bytes: Buffer;
  /** The device the keys belong to, when the person says; files rarely name it. */
  deviceName?: string | undefined;
  volumeType?: VolumeType | undefined;
}

export type ImportAction = 'add' | 'update' | 'skip' | 'conflict';

/** One protector found in the file. It never carries the recovery password. */
export interface ImportFinding {
  protectorId: string;
  type: ProtectorType;
  volume: { label: string; type: VolumeType } | null;
  action: ImportAction;
  reason?: string;
}

export interface ImportResult {
  found: ImportFinding[];
  added: number;
  updated: number;
  /** The stored copy of the file (not for a dry run, nor when nothing was stored). */
  fileId: string | null;
}

const skipReasons: Partial<Record<ProtectorType, string>> = {
  'external-key':
    'a startup key (.BEK): it is not a recovery key; keep the file on its USB drive as it is',
  tpm: 'the TPM protector holds nothing to back up',
  password: 'a password protector: only recovery keys (48 digits) are kept in the library',
};

/**
 * The system drive is the one people most often need a recovery key for, and Windows names it
 * C:. Anything else is taken as a fixed data drive; the person can correct it by adding the key
 * again with the right details.
 */
function guessVolumeType(label: string, given: VolumeType | undefined): VolumeType {
  if (given) return given;
  return label === '' || /^c:\\?$/i.test(label) ? 'os' : 'fixed';
}

async function readUpload(upload: Upload): Promise<FoundKey[]> {
  if (upload.bytes.length === 0) {
    throw new ValidationError(`${upload.fileName} is empty.`, [
      { field: 'file', reason: 'the file is empty' },
    ]);
  }
  // Names that reach the library from an upload meet the rule typed names do (plain-text.ts).
  if (hasUnsafeCharacters(upload.fileName)) {
    throw new InvalidCharactersError('filename', "The file's name");
  }
  if (upload.deviceName !== undefined && hasUnsafeCharacters(upload.deviceName)) {
    throw new InvalidCharactersError('deviceName', 'The device name');
  }
  try {
    const found = await readKeySource(bufferSource(upload.fileName, upload.bytes));
    if (found.some((key) => key.volume !== undefined && hasUnsafeCharacters(key.volume))) {
      throw new InvalidCharactersError('file', 'A drive named in the file');
    }
    return found;
  } catch (error) {
    if (!(error instanceof BitLockerFormatError)) throw error;
    throw new ValidationError(`${upload.fileName} ${error.message}.`, [
      { field: 'file', reason: error.message },
    ]);
  }
}

interface Planned {
  finding: ImportFinding;
  key: ValidKey | undefined;
}

/**
 * Reads an uploaded file of any kind `keyhold read` understands and adds its recovery keys; a
 * dry run only says what would happen. The original file is kept (encrypted) with the keys it
 * added or updated, so it can be downloaded again as it was.
 */
export async function importKeyFile(
  ctx: ServerContext,
  caller: Caller,
  upload: Upload,
  { dryRun }: { dryRun: boolean },
): Promise<ImportResult> {
  const owner = userOwner(caller.accountId);
  const foundKeys = await readUpload(upload);
  const deviceName = upload.deviceName?.normalize('NFKC').trim().replace(/\s+/g, ' ') ?? '';
  const seen = new Set<string>();
  const plan: Planned[] = [];
  for (const found of foundKeys) {
    const protectorId = parseProtectorId(found.protectorId);
    const label = found.volume ?? '';
    const finding: ImportFinding = {
      protectorId,
      type: found.type,
      volume: found.volume ? { label, type: guessVolumeType(label, upload.volumeType) } : null,
      action: 'add',
    };
    if (found.recoveryPassword === undefined) {
      plan.push({
        finding: {
          ...finding,
          action: 'skip',
          reason: skipReasons[found.type] ?? 'this protector holds no recovery password',
        },
        key: undefined,
      });
      continue;
    }
    if (seen.has(protectorId)) {
      plan.push({
        finding: { ...finding, action: 'skip', reason: 'the same key appears earlier in the file' },
        key: undefined,
      });
      continue;
    }
    seen.add(protectorId);
    const parsed = parseRecoveryPassword(found.recoveryPassword);
    if (!parsed.valid) {
      plan.push({
        finding: { ...finding, action: 'skip', reason: 'its recovery password is not valid' },
        key: undefined,
      });
      continue;
    }
    const key: ValidKey = {
      protectorHex: protectorId.replaceAll('-', ''),
      recoveryPassword: parsed.normalized,
      deviceName,
      volume: { label, type: guessVolumeType(label, upload.volumeType), volumeGuid: null },
      source: 'import',
    };
    const existing = await repo.findKeyByProtector(ctx.db, owner, key.protectorHex);
    if (!existing) {
      plan.push({ finding, key });
      continue;
    }
    const stored = await ctx.secrets.getText(ctx.db, passwordRef(owner, existing.id));
    plan.push(
      stored === key.recoveryPassword
        ? { finding: { ...finding, action: 'update', reason: 'already in your library' }, key }
        : {
            finding: {
              ...finding,
              action: 'conflict',
              reason:
                'your library holds a different recovery password for this Key ID; nothing was changed',
            },
            key: undefined,
          },
    );
  }

  const found = plan.map((planned) => planned.finding);
  const count = (action: ImportAction) => found.filter((f) => f.action === action).length;
  if (dryRun) return { found, added: count('add'), updated: count('update'), fileId: null };

  const fileId = await retryingOnDuplicate(ctx, async (trx) => {
    const storedIds: string[] = [];
    for (const planned of plan) {
      if (!planned.key) continue;
      try {
        // Without a device name the upload says nothing reliable about where a stored key lives.
        const stored = await storeKey(ctx, trx, caller, planned.key, {
          keepPlacement: deviceName === '',
        });
        planned.finding.action = stored.outcome === 'created' ? 'add' : 'update';
        storedIds.push(stored.id);
      } catch (error) {
        // Another upload stored a different password under this Key ID since the plan was made.
        if (!(error instanceof KeyConflictError)) throw error;
        planned.finding.action = 'conflict';
      }
    }
    if (storedIds.length === 0) return null;
    const id = newId();
    await repo.insertFile(
      trx,
      owner,
      {
        id,
        file_name: upload.fileName,
        size: upload.bytes.length,
        format: foundKeys[0]?.format ?? 'unknown',
        in_vault_at: null,
        created_at: ctx.now().toISOString(),
      },
      storedIds,
    );
    await ctx.secrets.put(trx, { kind: repo.uploadedFileKind, boundId: id, owner }, upload.bytes);
    await ctx.audit.record(trx, {
      action: 'keys_imported',
      actorUserId: caller.accountId,
      subjectUserId: caller.accountId,
      ...origin(caller),
      details: {
        fileId: id,
        fileName: upload.fileName,
        added: plan.filter((p) => p.finding.action === 'add').length,
        updated: plan.filter((p) => p.finding.action === 'update').length,
        conflicts: plan.filter((p) => p.finding.action === 'conflict').length,
      },
    });
    return id;
  });
  return { found, added: count('add'), updated: count('update'), fileId };
}
