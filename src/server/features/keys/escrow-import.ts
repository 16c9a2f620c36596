import {
  EscrowExportError,
  readEscrowExport,
  type EscrowFormat,
  type EscrowItem,
} from '../../../bitlocker/escrow-exports.js';
import { parseProtectorId, ProtectorIdError } from '../../../bitlocker/protector-id.js';
import { parseRecoveryPassword } from '../../../bitlocker/recovery-password.js';
import { newId } from '../../../db/ids.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import { authorize, type Library, type LibraryAccess } from '../../policies.js';
import { retryingOnDuplicate } from './add-key.js';
import { findKeysByProtectors } from './bulk-repo.js';
import { sealKeys, storeSealedKeys, type ImportedOutcome } from './import-batch.js';
import { librarySubject, notFoundLibrary, passwordRef } from './key-access.js';
import { guessVolumeType, normalizeDeviceName, type ValidKey } from './new-key.js';

/**
 * Moving an organisation in from the system it escrows keys in today (Entra ID / Intune, Active
 * Directory, MBAM) or from another Keyhold: every key of the export with its device, drive type
 * and date, each item reported as added, already there, or skipped with the reason.
 */

export type EscrowAction = 'add' | 'skip' | 'conflict';
export type EscrowReason =
  | 'no_key_id'
  | 'invalid_key_id'
  | 'no_recovery_password'
  | 'invalid_password'
  | 'repeated'
  | 'already_stored'
  | 'different_password';

export interface EscrowFinding {
  position: number;
  protectorId: string | null;
  deviceName: string;
  volumeType: ValidKey['fallback']['volume']['type'];
  createdAt: string | null;
  /** The source says the key was handed out already: it arrives marked for rotation. */
  rotationRequired: boolean;
  action: EscrowAction;
  reasonCode?: EscrowReason;
}

export interface EscrowImportResult {
  format: EscrowFormat;
  dryRun: boolean;
  found: number;
  added: number;
  skipped: number;
  conflicts: number;
  items: EscrowFinding[];
}

/**
 * Keys stored per transaction: each commit waits for the disk, and a few thousand keys hold the
 * database's writer for a fraction of a second.
 */
const keysPerTransaction = 5000;
/** Keys looked up per statement when finding those stored already. */
const keysPerLookup = 500;

/** A name for a device the export does not name (rare: a Graph key without its device). */
const unnamedDevice = 'Unknown device';

function readExport(bytes: Uint8Array): { format: EscrowFormat; items: EscrowItem[] } {
  try {
    return readEscrowExport(bytes);
  } catch (error) {
    if (!(error instanceof EscrowExportError)) throw error;
    throw new ValidationError(error.wording, [
      { field: 'file', reason: { en: 'unknown format', nb: 'ukjent format' } },
    ]);
  }
}

interface Planned {
  finding: EscrowFinding;
  key: ValidKey | undefined;
  disclosed: boolean;
}

/**
 * Entra ID and Graph name no drive, only its type: the type's name (as Graph spells it) tells a
 * device's drives apart, so a data drive's key does not replace the system drive's.
 */
const typeLabels = {
  os: 'operatingSystemVolume',
  fixed: 'fixedDataVolume',
  removable: 'removableDataVolume',
} as const;

function plan(item: EscrowItem, seen: Set<string>): Planned {
  const deviceName = normalizeDeviceName(item.deviceName ?? '') || unnamedDevice;
  const volumeType = item.volumeType ?? guessVolumeType(item.volumeLabel ?? '');
  const label =
    item.volumeLabel ?? (item.volumeGuid === null && item.volumeType ? typeLabels[volumeType] : '');
  const finding: EscrowFinding = {
    position: item.position,
    protectorId: null,
    deviceName,
    volumeType,
    createdAt: item.createdAt,
    rotationRequired: item.disclosed,
    action: 'add',
  };
  const skip = (reasonCode: EscrowReason): Planned => ({
    finding: { ...finding, action: 'skip', reasonCode },
    key: undefined,
    disclosed: false,
  });
  if (item.protectorId === null) return skip('no_key_id');
  let protectorId: string;
  try {
    protectorId = parseProtectorId(item.protectorId);
  } catch (error) {
    if (!(error instanceof ProtectorIdError)) throw error;
    return skip('invalid_key_id');
  }
  finding.protectorId = protectorId;
  if (item.recoveryPassword === null) return skip('no_recovery_password');
  if (seen.has(protectorId)) return skip('repeated');
  seen.add(protectorId);
  const parsed = parseRecoveryPassword(item.recoveryPassword);
  if (!parsed.valid) return skip('invalid_password');
  let volumeGuid: string | null = null;
  try {
    volumeGuid = item.volumeGuid === null ? null : parseProtectorId(item.volumeGuid);
  } catch {
    volumeGuid = null;
  }
  return {
    finding,
    disclosed: item.disclosed,
    key: {
      protectorHex: protectorId.replaceAll('-', ''),
      recoveryPassword: parsed.normalized,
      given: {
        deviceName,
        volumeType,
        ...(label === '' ? {} : { volumeLabel: label }),
        ...(volumeGuid === null ? {} : { volumeGuid }),
      },
      fallback: { deviceName, volume: { label, type: volumeType, volumeGuid } },
      source: 'import',
      proven: false,
    },
  };
}

/**
 * Skips the keys stored already (a different password under the same Key ID is a conflict), in
 * slices: one statement finds a slice's stored keys, and only those are opened to compare
 * passwords.
 */
async function skipStoredKeys(
  ctx: ServerContext,
  access: LibraryAccess,
  planned: Planned[],
): Promise<void> {
  const candidates = planned.filter((entry) => entry.key !== undefined);
  for (let start = 0; start < candidates.length; start += keysPerLookup) {
    const slice = candidates.slice(start, start + keysPerLookup);
    const stored = await findKeysByProtectors(
      ctx.db,
      access.owner,
      slice.map((entry) => entry.key?.protectorHex ?? ''),
    );
    for (const entry of slice) {
      const existingId = entry.key && stored.get(entry.key.protectorHex);
      if (!entry.key || existingId === undefined) continue;
      const password = await ctx.secrets.getText(ctx.db, passwordRef(access.owner, existingId));
      skipStored(
        entry,
        password === entry.key.recoveryPassword ? 'already_stored' : 'different_password',
      );
    }
  }
}

function skipStored(planned: Planned, reason: EscrowReason): void {
  planned.finding.action = reason === 'different_password' ? 'conflict' : 'skip';
  planned.finding.reasonCode = reason;
  planned.key = undefined;
}

/**
 * Reads an export and adds its keys to the library (nothing with `dryRun`). Keys already
 * stored are skipped (a different password under the same Key ID is a conflict and changes
 * nothing); each key keeps its date, device and drive type. Every transaction of keys records
 * a `keys_imported` event of its own, numbered within the import.
 */
export async function importEscrowExport(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  { bytes, fileName, dryRun }: { bytes: Uint8Array; fileName: string; dryRun: boolean },
): Promise<EscrowImportResult> {
  const access = authorize(caller, 'write', library, notFoundLibrary(library));
  const { format, items } = readExport(bytes);
  const seen = new Set<string>();
  const planned = items.map((item) => plan(item, seen));
  await skipStoredKeys(ctx, access, planned);
  const toStore = planned.flatMap((entry) => (entry.key ? [{ entry, key: entry.key }] : []));
  if (!dryRun) {
    const importId = newId();
    const batches = Math.max(1, Math.ceil(toStore.length / keysPerTransaction));
    // The first batch's event also counts the items decided before storing, so the events of
    // an import add up to its answer.
    const skippedBefore = planned.filter((entry) => entry.finding.action === 'skip').length;
    const conflictsBefore = planned.filter((entry) => entry.finding.action === 'conflict').length;
    for (let batch = 1; batch <= batches; batch++) {
      const slice = toStore.slice((batch - 1) * keysPerTransaction, batch * keysPerTransaction);
      const at = ctx.now().toISOString();
      const sealed = sealKeys(
        ctx,
        caller,
        access,
        slice.map(({ entry, key }) => ({
          key,
          createdAt: entry.finding.createdAt ?? undefined,
          disclosed: entry.disclosed,
        })),
        at,
      );
      // Each batch's event commits with its keys: an import cut off later leaves none unaudited.
      const outcomes = await retryingOnDuplicate(ctx, async (trx) => {
        const stored = sealed.length > 0 ? await storeSealedKeys(ctx, trx, access, sealed, at) : [];
        const outcome = (wanted: ImportedOutcome) =>
          stored.filter((each) => each === wanted).length;
        await ctx.audit.record(trx, caller, {
          action: 'keys_imported',
          ...librarySubject(access),
          details: {
            importId,
            batch,
            batches,
            fileName,
            format,
            added: outcome('added'),
            skipped: (batch === 1 ? skippedBefore : 0) + outcome('already_stored'),
            conflicts: (batch === 1 ? conflictsBefore : 0) + outcome('different_password'),
          },
        });
        return stored;
      });
      // Another import stored some of them meanwhile.
      outcomes.forEach((outcome, index) => {
        const stored = slice[index];
        if (stored && outcome !== 'added') skipStored(stored.entry, outcome);
      });
    }
  }
  const findings = planned.map((entry) => entry.finding);
  const count = (action: EscrowAction) => findings.filter((f) => f.action === action).length;
  return {
    format,
    dryRun,
    found: findings.length,
    added: count('add'),
    skipped: count('skip'),
    conflicts: count('conflict'),
    items: findings,
  };
}
