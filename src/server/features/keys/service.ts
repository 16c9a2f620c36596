import type { Kysely } from 'kysely';
import { maximumPageSize } from '../../../api/keys.js';
import {
  normalizeKeyIdPrefix,
  parseProtectorId,
  ProtectorIdError,
} from '../../../bitlocker/protector-id.js';
import { writeRecoveryKeyFile } from '../../../bitlocker/recovery-file.js';
import { parseRecoveryPassword } from '../../../bitlocker/recovery-password.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { idPattern, newId } from '../../../db/ids.js';
import { userOwner, type Owner } from '../../../db/owners.js';
import type { BackupDestination, DatabaseSchema, VolumeType } from '../../../db/schema.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { requireOpenVault } from '../vault/index.js';
import { nameTerms, normalizeName, prefixSuccessor } from './normalize.js';
import * as repo from './repo.js';
import { keySummary, offlineDestinations, type KeySummary } from './summary.js';

type Db = Kysely<DatabaseSchema>;

/** A Key ID search needs this many hex digits; fewer would match too much to be useful. */
export const minimumKeyIdPrefix = 4;
export const defaultPageSize = 50;
const maximumNameLength = 200;

export interface NewKeyInput {
  protectorId: string;
  recoveryPassword: string;
  /** Details the person gave; one left out keeps what a stored key already has. */
  deviceName?: string | undefined;
  volume?:
    | {
        label?: string | undefined;
        type?: VolumeType | undefined;
        volumeGuid?: string | null | undefined;
      }
    | undefined;
  /**
   * Details for a new key where the person gave none (the CLI sends the computer's name). They
   * are guesses, so they never replace what a stored key already has.
   */
  defaults?:
    | {
        deviceName?: string | undefined;
        volumeLabel?: string | undefined;
        volumeType?: VolumeType | undefined;
      }
    | undefined;
  source?: string | undefined;
}

/** Where a key lives: its device and drive. */
export interface Placement {
  deviceName: string;
  volume: { label: string; type: VolumeType; volumeGuid: string | null };
}

/** The details a person actually gave, in canonical forms; absent ones were not given. */
export interface GivenDetails {
  deviceName?: string;
  volumeLabel?: string;
  volumeType?: VolumeType;
  volumeGuid?: string;
}

/** The names the answers use for the details of a key that a save changed. */
export type DetailField = 'deviceName' | 'volume.label' | 'volume.type' | 'volume.volumeGuid';

/** A key that passed every check, in canonical forms. */
export interface ValidKey {
  protectorHex: string;
  recoveryPassword: string;
  given: GivenDetails;
  /** The placement of a new key where nothing was given (an empty name, a guessed type). */
  fallback: Placement;
  source: string;
}

/**
 * The placement after a save: a new key takes the given details over the fallback; a stored key
 * keeps every detail that was not given. `updated` names the given details that differ from
 * what was stored.
 */
export function placementAfterSave(
  given: GivenDetails,
  base: Placement,
  stored: boolean,
): { placement: Placement; updated: DetailField[] } {
  const placement: Placement = {
    deviceName: given.deviceName ?? base.deviceName,
    volume: {
      label: given.volumeLabel ?? base.volume.label,
      type: given.volumeType ?? base.volume.type,
      volumeGuid: given.volumeGuid ?? base.volume.volumeGuid,
    },
  };
  if (!stored) return { placement, updated: [] };
  const updated: DetailField[] = [];
  if (placement.deviceName !== base.deviceName) updated.push('deviceName');
  if (placement.volume.label !== base.volume.label) updated.push('volume.label');
  if (placement.volume.type !== base.volume.type) updated.push('volume.type');
  if (placement.volume.volumeGuid !== base.volume.volumeGuid) updated.push('volume.volumeGuid');
  return { placement, updated };
}

export function storedPlacement(row: repo.KeySummaryRow): Placement {
  return {
    deviceName: row.device_name,
    volume: { label: row.volume_label, type: row.volume_type, volumeGuid: row.volume_guid },
  };
}

export interface FieldProblem {
  field: string;
  block?: number;
  value?: string;
  reason: string;
}

/** The same Key ID is stored with another password: one of the two copies is wrong. */
export class KeyConflictError extends ConflictError {
  constructor(protectorId: string) {
    super(
      {
        en:
          `Key ID ${protectorId} is already in your library with a different recovery password. ` +
          'One of the two is wrong (a damaged or mistyped backup, or a key of another drive). ' +
          'Nothing was changed: reveal the stored key and compare it with the one you have.',
        nb:
          `Nøkkel-ID ${protectorId} finnes allerede i biblioteket ditt med et annet gjenopprettingspassord. ` +
          'Ett av dem er feil (en skadet eller feilskrevet kopi, eller nøkkelen til en annen stasjon). ' +
          'Ingenting ble endret: vis den lagrede nøkkelen og sammenlign den med den du har.',
      },
      { field: 'recoveryPassword', protectorId },
    );
  }
}

export function passwordRef(owner: Owner, keyId: string) {
  return { kind: repo.recoveryPasswordKind, boundId: keyId, owner };
}

/** The caller's own library; organisation libraries reuse the same functions with their owner. */
function ownerOf(caller: Caller): Owner {
  return userOwner(caller.accountId);
}

function protectorHex(protectorId: string): string {
  return parseProtectorId(protectorId).replaceAll('-', '');
}

/** Checks every field and reports every problem at once, naming the bad password blocks. */
export function validateNewKey(input: NewKeyInput): ValidKey {
  const problems: FieldProblem[] = [];
  let hex = '';
  try {
    hex = protectorHex(input.protectorId);
  } catch (error) {
    if (!(error instanceof ProtectorIdError)) throw error;
    problems.push({ field: 'protectorId', reason: error.message });
  }
  const parsed = parseRecoveryPassword(input.recoveryPassword);
  if (!parsed.valid) {
    for (const error of parsed.errors) {
      problems.push(
        error.block === 0
          ? { field: 'recoveryPassword', reason: error.reason }
          : {
              field: 'recoveryPassword',
              block: error.block,
              value: error.value,
              reason: `Block ${error.block} ${error.reason}.`,
            },
      );
    }
  }
  const given: GivenDetails = {};
  const deviceName =
    input.deviceName === undefined ? undefined : normalizeDeviceName(input.deviceName);
  const defaultName =
    input.defaults?.deviceName === undefined ? '' : normalizeDeviceName(input.defaults.deviceName);
  for (const [field, name] of [
    ['deviceName', deviceName],
    ['defaults.deviceName', input.defaults?.deviceName === undefined ? undefined : defaultName],
  ] as const) {
    if (name !== undefined && (name === '' || name.length > maximumNameLength)) {
      problems.push({
        field,
        reason: `Give the device's name (1 to ${maximumNameLength} characters), e.g. the PC's name.`,
      });
    }
  }
  if (deviceName !== undefined) given.deviceName = deviceName;
  const label = input.volume?.label?.trim();
  if (label !== undefined) {
    if (label.length > maximumNameLength) {
      problems.push({
        field: 'volume.label',
        reason: `A drive label has at most ${maximumNameLength} characters.`,
      });
    }
    given.volumeLabel = label;
  }
  if (input.volume?.type !== undefined) given.volumeType = input.volume.type;
  const defaultLabel = input.defaults?.volumeLabel?.trim().slice(0, maximumNameLength) ?? '';
  if (input.volume?.volumeGuid) {
    try {
      given.volumeGuid = parseProtectorId(input.volume.volumeGuid);
    } catch {
      problems.push({
        field: 'volume.volumeGuid',
        reason: 'A volume GUID has 32 hex digits, e.g. 1B6E1FE3-58C5-4C1C-B0E5-2B5A1C3D4E5F.',
      });
    }
  }
  if (problems.length > 0 || !parsed.valid) {
    const fields = [...new Set(problems.map((problem) => problem.field))].join(', ');
    throw new ValidationError(
      {
        en: `The key was not saved: check ${fields}.`,
        nb: `Nøkkelen ble ikke lagret: sjekk ${fields}.`,
      },
      problems,
    );
  }
  return {
    protectorHex: hex,
    recoveryPassword: parsed.normalized,
    given,
    fallback: {
      deviceName: defaultName,
      volume: {
        label: defaultLabel,
        type: input.defaults?.volumeType ?? guessVolumeType(label ?? defaultLabel),
        volumeGuid: null,
      },
    },
    source: input.source ?? 'manual',
  };
}

/**
 * The system drive is the one people most often need a recovery key for, and Windows names it
 * C:. Anything else is taken as a fixed data drive; the person can correct it by saving the key
 * again with the type given.
 */
export function guessVolumeType(label: string): VolumeType {
  return label === '' || /^c:\\?$/i.test(label) ? 'os' : 'fixed';
}

export function normalizeDeviceName(name: string): string {
  return name.normalize('NFKC').trim().replace(/\s+/g, ' ');
}

/** Finds or creates the device and volume a key belongs to; returns the volume id. */
async function placeKey(db: Db, owner: Owner, key: Placement, at: string): Promise<string> {
  const nameNormalized = normalizeName(key.deviceName);
  const device = await repo.findDeviceByName(db, owner, nameNormalized);
  const newVolume = async (deviceId: string) => {
    const id = newId();
    await repo.insertVolume(db, owner, { id, deviceId, ...key.volume, at });
    return id;
  };
  if (!device) {
    const deviceId = newId();
    await repo.insertDevice(db, owner, {
      id: deviceId,
      name: key.deviceName,
      nameNormalized,
      terms: nameTerms(key.deviceName).filter((term) => term !== ''),
      at,
    });
    return newVolume(deviceId);
  }
  if (device.name !== key.deviceName) {
    await repo.renameDevice(db, device.id, key.deviceName, at);
  }
  const volume = await repo.findVolume(db, device.id, key.volume);
  if (!volume) return newVolume(device.id);
  if (volume.label !== key.volume.label || volume.type !== key.volume.type) {
    await repo.updateVolume(db, volume.id, { ...key.volume, at });
  }
  return volume.id;
}

export type StoreOutcome = 'created' | 'updated';

export interface Stored {
  id: string;
  outcome: StoreOutcome;
  /** The details of a stored key this save changed (empty for a new key). */
  updated: DetailField[];
  /** Where the key lives now. */
  placement: Placement;
}

/**
 * Stores a key in the caller's transaction: a new key, or (same Key ID, same password) the
 * details the person gave for the stored one, which also brings it back from the bin. Details
 * not given keep their stored values. A different password under the same Key ID throws
 * KeyConflictError before anything is written. `requireDeviceName` refuses a new key without a
 * device name (the form and the CLI always know one; an import may not).
 */
export async function storeKey(
  ctx: ServerContext,
  db: Db,
  caller: Caller,
  key: ValidKey,
  { requireDeviceName = false }: { requireDeviceName?: boolean } = {},
): Promise<Stored> {
  const owner = ownerOf(caller);
  const at = ctx.now().toISOString();
  const existing = await repo.findKeyByProtector(db, owner, key.protectorHex);
  if (existing) {
    const stored = await ctx.secrets.getText(db, passwordRef(owner, existing.id));
    if (stored !== key.recoveryPassword) {
      throw new KeyConflictError(parseProtectorId(key.protectorHex));
    }
    const row = await repo.findKeySummary(db, owner, existing.id);
    if (!row) throw new Error(`recovery key ${existing.id} has no device or volume`);
    const { placement, updated } = placementAfterSave(key.given, storedPlacement(row), true);
    await repo.updateKey(db, owner, existing.id, {
      ...(updated.length > 0 ? { volume_id: await placeKey(db, owner, placement, at) } : {}),
      deleted_at: null,
      updated_at: at,
    });
    return { id: existing.id, outcome: 'updated', updated, placement };
  }
  const { placement } = placementAfterSave(key.given, key.fallback, false);
  if (requireDeviceName && placement.deviceName === '') {
    throw new ValidationError("The key was not saved: give the device's name.", [
      {
        field: 'deviceName',
        reason: `Give the device's name (1 to ${maximumNameLength} characters), e.g. the PC's name.`,
      },
    ]);
  }
  const id = newId();
  await repo.insertKey(db, owner, {
    id,
    protector_hex: key.protectorHex,
    volume_id: await placeKey(db, owner, placement, at),
    source: key.source,
    // Being stored in the library is the key's first backup.
    backup_count: 1,
    last_backup_destination: 'account',
    last_backup_at: at,
    offline_backup_at: null,
    in_vault_at: null,
    deleted_at: null,
    created_at: at,
    updated_at: at,
  });
  // A new key has no secret yet: create it without looking for one to replace.
  await ctx.secrets.create(db, passwordRef(owner, id), key.recoveryPassword);
  await repo.insertBackupRecord(db, {
    id: newId(),
    key_id: id,
    destination: 'account',
    note: null,
    actor_user_id: caller.accountId,
    at,
  });
  return { id, outcome: 'created', updated: [], placement };
}

/**
 * Runs a transaction, once more if another request created the same device, volume or key in the
 * meantime (two uploads of one key at once): the second run then finds the first one's rows.
 */
export async function retryingOnDuplicate<T>(
  ctx: ServerContext,
  work: (trx: Db) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.database.transaction(work);
    } catch (error) {
      if (attempt >= 3 || !isUniqueViolation(error)) throw error;
    }
  }
}

export async function addKey(
  ctx: ServerContext,
  caller: Caller,
  input: NewKeyInput,
): Promise<{ key: KeySummary; created: boolean; updated: DetailField[] }> {
  const key = validateNewKey(input);
  const owner = ownerOf(caller);
  const stored = await retryingOnDuplicate(ctx, async (trx) => {
    const saved = await storeKey(ctx, trx, caller, key, { requireDeviceName: true });
    await ctx.audit.record(trx, caller, {
      action: saved.outcome === 'created' ? 'key_added' : 'key_updated',
      details: {
        keyId: saved.id,
        protectorId: parseProtectorId(key.protectorHex),
        shortId: key.protectorHex.slice(0, 8),
        deviceName: saved.placement.deviceName,
        ...(saved.outcome === 'updated' ? { updated: saved.updated } : {}),
      },
    });
    return saved;
  });
  return {
    key: await summaryOrThrow(ctx.db, owner, stored.id),
    created: stored.outcome === 'created',
    updated: stored.updated,
  };
}

async function summaryOrThrow(db: Db, owner: Owner, id: string): Promise<KeySummary> {
  const row = idPattern.test(id) ? await repo.findKeySummary(db, owner, id) : undefined;
  if (!row) throw new NotFoundError('The key');
  return keySummary(row);
}

export function getKey(ctx: ServerContext, caller: Caller, id: string): Promise<KeySummary> {
  return summaryOrThrow(ctx.db, ownerOf(caller), id);
}

// ---------------------------------------------------------------------------------------------
// Listing and search

export interface ListQuery {
  q?: string | undefined;
  cursor?: string | undefined;
  limit?: number | undefined;
  deleted?: boolean | undefined;
}

export interface KeyPage {
  items: KeySummary[];
  nextCursor: string | null;
}

export function encodeCursor(cursor: repo.PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): repo.PageCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string' &&
      !Number.isNaN(Date.parse(value[0])) &&
      idPattern.test(value[1])
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // Falls through to the one message for every malformed cursor.
  }
  throw new ValidationError('The cursor is not valid: start again from the first page.', [
    { field: 'cursor', reason: 'use the nextCursor of a previous page as it was given' },
  ]);
}

/** The hex digits of a Key ID prefix in `q`, when it is one long enough to search by. */
export function keyIdPrefixOf(q: string): string | undefined {
  try {
    const prefix = normalizeKeyIdPrefix(q);
    return prefix.length >= minimumKeyIdPrefix ? prefix : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One page of the caller's keys, newest first. With `q`: keys whose Key ID starts with it (4 or
 * more hex digits; case, dashes and braces ignored) and keys on devices with a name (or a word in
 * it) that starts with it. Each runs on its own index and returns at most a page after the
 * cursor; merging them keeps the order, so the cursor works across both.
 */
export async function listKeys(
  ctx: ServerContext,
  caller: Caller,
  query: ListQuery,
): Promise<KeyPage> {
  const owner = ownerOf(caller);
  const page: repo.KeyPageQuery = {
    deleted: query.deleted ?? false,
    after: query.cursor ? decodeCursor(query.cursor) : undefined,
    limit: Math.min(Math.max(query.limit ?? defaultPageSize, 1), maximumPageSize),
  };
  const q = query.q?.trim() ?? '';
  let rows: repo.KeySummaryRow[];
  if (q === '') {
    rows = await repo.listKeys(ctx.db, owner, page);
  } else {
    const prefix = keyIdPrefixOf(q);
    const term = normalizeName(q);
    rows = await repo.searchKeys(
      ctx.db,
      owner,
      {
        keyIds: prefix === undefined ? undefined : { from: prefix, to: prefixSuccessor(prefix) },
        names: { from: term, to: prefixSuccessor(term) },
      },
      page,
    );
  }
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map(keySummary),
    nextCursor:
      rows.length > page.limit && last
        ? encodeCursor({ createdAt: last.created_at, id: last.id })
        : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Revealing and backing up

interface OpenedKey {
  row: repo.KeySummaryRow;
  recoveryPassword: string;
}

/** The key with its password, for the caller only, and only through an open vault if it is in one. */
async function openKey(ctx: ServerContext, caller: Caller, id: string): Promise<OpenedKey> {
  const owner = ownerOf(caller);
  const row = idPattern.test(id) ? await repo.findKeySummary(ctx.db, owner, id) : undefined;
  if (!row) throw new NotFoundError('The key');
  if (row.in_vault_at !== null) await requireOpenVault(ctx, caller);
  const recoveryPassword = await ctx.secrets.getText(ctx.db, passwordRef(owner, id));
  if (recoveryPassword === undefined) {
    throw new Error(`recovery key ${id} has no stored recovery password`);
  }
  return { row, recoveryPassword };
}

function keyEvent(row: repo.KeySummaryRow, details: Record<string, unknown> = {}) {
  return {
    details: {
      keyId: row.id,
      protectorId: parseProtectorId(row.protector_hex),
      // What the activity page names the key by: the recovery screen's 8 characters and device.
      shortId: row.protector_hex.slice(0, 8),
      deviceName: row.device_name,
      inVault: row.in_vault_at !== null,
      ...details,
    },
  };
}

/** Returns the recovery password; the audit event is written before it leaves. */
export async function revealKey(
  ctx: ServerContext,
  caller: Caller,
  id: string,
): Promise<{ recoveryPassword: string; protectorId: string }> {
  const { row, recoveryPassword } = await openKey(ctx, caller, id);
  await ctx.audit.recordAlone(caller, { action: 'key_revealed', ...keyEvent(row) });
  return { recoveryPassword, protectorId: parseProtectorId(row.protector_hex) };
}

async function recordBackup(
  ctx: ServerContext,
  caller: Caller,
  row: repo.KeySummaryRow,
  backup: { destination: BackupDestination; note: string | null },
): Promise<repo.BackupRow> {
  const saved: repo.BackupRow = {
    id: newId(),
    key_id: row.id,
    destination: backup.destination,
    note: backup.note,
    actor_user_id: caller.accountId,
    at: ctx.now().toISOString(),
  };
  await ctx.database.transaction(async (trx) => {
    await repo.insertBackup(trx, saved, offlineDestinations.includes(backup.destination));
    await ctx.audit.record(trx, caller, {
      action: 'key_backup_recorded',
      ...keyEvent(row, { destination: backup.destination }),
    });
  });
  return saved;
}

export type FileLanguage = 'en' | 'nb';

/**
 * The Windows-layout recovery key file; audited. A download is not a backup by itself (it may
 * sit in a downloads folder on the very computer it unlocks): the person records where the copy
 * went through `addBackup`.
 */
export async function recoveryFile(
  ctx: ServerContext,
  caller: Caller,
  id: string,
  lang: FileLanguage,
): Promise<{ fileName: string; bytes: Buffer }> {
  const { row, recoveryPassword } = await openKey(ctx, caller, id);
  const file = writeRecoveryKeyFile({
    protectorId: row.protector_hex,
    recoveryPassword,
    language: lang,
  });
  await ctx.audit.recordAlone(caller, {
    action: 'key_downloaded',
    ...keyEvent(row, { destination: 'file', lang }),
  });
  return file;
}

/** The printable sheet (PDF); audited, and like the file not a backup until it is recorded. */
export async function recoverySheet(
  ctx: ServerContext,
  caller: Caller,
  id: string,
  options: { lang: FileLanguage; paper: 'a4' | 'letter' },
): Promise<{ fileName: string; bytes: Buffer }> {
  const { row, recoveryPassword } = await openKey(ctx, caller, id);
  // pdfkit and its fonts are loaded on the first print, not at server start.
  const { renderRecoverySheet } = await import('../../../backup/recovery-sheet.js');
  const bytes = await renderRecoverySheet({
    protectorId: row.protector_hex,
    recoveryPassword,
    deviceName: row.device_name,
    volumeLabel: row.volume_label,
    volumeType: row.volume_type,
    createdAt: row.created_at,
    lang: options.lang,
    paper: options.paper,
  });
  await ctx.audit.recordAlone(caller, {
    action: 'key_printed',
    ...keyEvent(row, { destination: 'print', lang: options.lang, paper: options.paper }),
  });
  return { fileName: `BitLocker Recovery Key ${row.protector_hex.slice(0, 8)}.pdf`, bytes };
}

export interface BackupView {
  id: string;
  destination: BackupDestination;
  at: string;
  note: string | null;
}

function backupView(row: repo.BackupRow): BackupView {
  return { id: row.id, destination: row.destination, at: row.at, note: row.note };
}

async function ownKeyRow(ctx: ServerContext, caller: Caller, id: string) {
  const row = idPattern.test(id)
    ? await repo.findKeySummary(ctx.db, ownerOf(caller), id)
    : undefined;
  if (!row) throw new NotFoundError('The key');
  return row;
}

/**
 * Records a backup: a copy the person says they keep on a USB drive, as a file or on paper,
 * whether made here (a downloaded recovery file or sheet) or elsewhere.
 */
export async function addBackup(
  ctx: ServerContext,
  caller: Caller,
  id: string,
  input: { destination: 'usb' | 'file' | 'print'; note?: string | undefined },
): Promise<BackupView> {
  const row = await ownKeyRow(ctx, caller, id);
  const note = input.note?.trim() ?? '';
  const saved = await recordBackup(ctx, caller, row, {
    destination: input.destination,
    note: note === '' ? null : note,
  });
  return backupView(saved);
}

export async function listBackups(
  ctx: ServerContext,
  caller: Caller,
  id: string,
): Promise<BackupView[]> {
  const row = await ownKeyRow(ctx, caller, id);
  return (await repo.listBackups(ctx.db, row.id)).map(backupView);
}

// ---------------------------------------------------------------------------------------------
// Vault, delete and restore

async function changeKey(
  ctx: ServerContext,
  caller: Caller,
  id: string,
  change: {
    /** Nothing to do when the key is already in the wanted state. */
    done: (row: repo.KeySummaryRow) => boolean;
    before?: (row: repo.KeySummaryRow) => Promise<void>;
    apply: (trx: Db, row: repo.KeySummaryRow, at: string) => Promise<void>;
    action: string;
  },
): Promise<KeySummary> {
  const owner = ownerOf(caller);
  const row = await ownKeyRow(ctx, caller, id);
  if (change.done(row)) return keySummary(row);
  await change.before?.(row);
  await ctx.database.transaction(async (trx) => {
    await change.apply(trx, row, ctx.now().toISOString());
    await ctx.audit.record(trx, caller, { action: change.action, ...keyEvent(row) });
  });
  return summaryOrThrow(ctx.db, owner, id);
}

/**
 * Moves a key into the vault; no unlock needed to put it in. The vault is a place in the library,
 * not another copy of the key, so it is not recorded as a backup.
 */
export function moveKeyToVault(ctx: ServerContext, caller: Caller, id: string) {
  const owner = ownerOf(caller);
  return changeKey(ctx, caller, id, {
    done: (row) => row.in_vault_at !== null,
    apply: async (trx, row, at) => {
      await repo.updateKey(trx, owner, row.id, { in_vault_at: at, updated_at: at });
    },
    action: 'key_moved_to_vault',
  });
}

/** Takes a key out of the vault; the vault must be open. */
export function moveKeyOutOfVault(ctx: ServerContext, caller: Caller, id: string) {
  const owner = ownerOf(caller);
  return changeKey(ctx, caller, id, {
    done: (row) => row.in_vault_at === null,
    before: () => requireOpenVault(ctx, caller),
    apply: async (trx, row, at) => {
      await repo.updateKey(trx, owner, row.id, { in_vault_at: null, updated_at: at });
    },
    action: 'key_moved_out_of_vault',
  });
}

/**
 * A soft delete: the key moves to the bin and can be restored until it is purged. A key in the
 * vault needs the vault open, as reading it would: otherwise anyone at a signed-in browser could
 * remove a key the person chose to guard.
 */
export function deleteKey(
  ctx: ServerContext,
  caller: Caller,
  id: string,
  input: { confirmSaved?: boolean | undefined },
) {
  const owner = ownerOf(caller);
  return changeKey(ctx, caller, id, {
    done: (row) => row.deleted_at !== null,
    before: async (row) => {
      if (input.confirmSaved !== true) {
        throw new ValidationError(
          'Confirm that this key is saved somewhere else (or that the drive no longer exists): ' +
            'send {"confirmSaved": true}.',
          [{ field: 'confirmSaved', reason: 'must be true to delete a key' }],
        );
      }
      if (row.in_vault_at !== null) await requireOpenVault(ctx, caller);
    },
    apply: async (trx, row, at) => {
      await repo.updateKey(trx, owner, row.id, { deleted_at: at, updated_at: at });
    },
    action: 'key_deleted',
  });
}

export function restoreKey(ctx: ServerContext, caller: Caller, id: string) {
  const owner = ownerOf(caller);
  return changeKey(ctx, caller, id, {
    done: (row) => row.deleted_at === null,
    apply: async (trx, row, at) => {
      await repo.updateKey(trx, owner, row.id, { deleted_at: null, updated_at: at });
    },
    action: 'key_restored',
  });
}
