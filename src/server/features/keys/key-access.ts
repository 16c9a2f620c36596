import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import { idPattern } from '../../../db/ids.js';
import type { Owner } from '../../../db/owners.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { NotFoundError } from '../../errors.js';
import type { AuditEvent } from '../audit/index.js';
import {
  authorize,
  inReach,
  type Library,
  type LibraryAccess,
  type LibraryAction,
} from '../../policies.js';
import * as repo from './keys-repo.js';
import { keySummary, type KeySummary } from './summary.js';
import { things } from '../../messages.js';
import type { Wording } from '../../messages.js';

/** How every key operation reaches a key through the library policies, and how it is audited. */

type Db = Parameters<typeof repo.findKeySummary>[0];

export function passwordRef(owner: Owner, keyId: string) {
  return { kind: repo.recoveryPasswordKind, boundId: keyId, owner };
}

/**
 * Who an event is about: the person whose library it is, or for an organisation's library the
 * organisation and the person the device is assigned to.
 */
export function librarySubject(access: LibraryAccess, assignee: string | null = null) {
  return access.library.kind === 'personal'
    ? { subjectUserId: access.library.accountId }
    : { subjectUserId: assignee, organisationId: access.library.organisationId };
}

/** What a caller who cannot see a library is told: the same as for a missing organisation. */
export function notFoundLibrary(library: Library): Wording {
  return library.kind === 'personal' ? things.key : things.organisation;
}

export async function summaryOrThrow(db: Db, owner: Owner, id: string): Promise<KeySummary> {
  const row = idPattern.test(id) ? await repo.findKeySummary(db, owner, id) : undefined;
  if (!row) throw new NotFoundError(things.key);
  return keySummary(row);
}

/**
 * The access for `action` and one key in reach of it; a key out of reach (another library, or
 * for an organisation's member a device not theirs) answers like a missing one.
 */
export async function keyInReach(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  action: LibraryAction,
  id: string,
): Promise<{ access: LibraryAccess; row: repo.KeySummaryRow }> {
  const access = authorize(caller, action, library);
  const row = idPattern.test(id) ? await repo.findKeySummary(ctx.db, access.owner, id) : undefined;
  if (!row || !inReach(access, row.device_assignee_id)) throw new NotFoundError(things.key);
  return { access, row };
}

/**
 * Like keyInReach, with the key's recovery password read in the same query; the password is
 * only opened here, once the key is known to be in reach.
 */
export async function keyWithPasswordInReach(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  action: LibraryAction,
  id: string,
): Promise<{ access: LibraryAccess; row: repo.KeySummaryRow; openPassword: () => string }> {
  const access = authorize(caller, action, library);
  const found = idPattern.test(id)
    ? await repo.findKeyWithSealedPassword(ctx.db, access.owner, id)
    : undefined;
  if (!found || !inReach(access, found.device_assignee_id)) throw new NotFoundError(things.key);
  const { password, ...row } = found;
  const openPassword = () => {
    if (password === undefined)
      throw new Error(`recovery key ${id} has no stored recovery password`);
    return ctx.secrets.open(passwordRef(access.owner, id), password).toString('utf8');
  };
  return { access, row, openPassword };
}

/**
 * Records `event` (a reveal) and reads the key's password in one transaction, so the event and
 * what it hands over commit together: on PostgreSQL in one statement, on SQLite the read in the
 * event's transaction. A key whose password is gone by then (purged a moment before) answers
 * as a key without a password; on PostgreSQL its event is kept, recording the attempt.
 */
export async function passwordWithEvent(
  ctx: ServerContext,
  caller: Caller,
  owner: Owner,
  keyId: string,
  event: AuditEvent,
): Promise<string> {
  const sealed =
    ctx.database.dialect === 'postgres'
      ? repo.sealedPasswordRead(
          await ctx.audit.recordWithChange(caller, event, (linked) =>
            repo.sealedPasswordWithEventStatement(ctx.db, linked, owner, keyId),
          ),
        )
      : await ctx.database.transaction(async (trx) => {
          const found = await repo.findSealedPassword(trx, owner, keyId);
          if (found) await ctx.audit.record(trx, caller, event);
          return found;
        });
  if (!sealed) throw new Error(`recovery key ${keyId} has no stored recovery password`);
  return ctx.secrets.open(passwordRef(owner, keyId), sealed).toString('utf8');
}

/** The key's password, read and opened in the caller's transaction. */
export async function storedPasswordIn(
  ctx: ServerContext,
  trx: Db,
  owner: Owner,
  keyId: string,
): Promise<string> {
  const sealed = await repo.findSealedPassword(trx, owner, keyId);
  if (!sealed) throw new Error(`recovery key ${keyId} has no stored recovery password`);
  return ctx.secrets.open(passwordRef(owner, keyId), sealed).toString('utf8');
}

export function keyEvent(
  caller: Caller,
  access: LibraryAccess,
  row: repo.KeySummaryRow,
  details: Record<string, unknown> = {},
) {
  return {
    ...librarySubject(access, row.device_assignee_id),
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

/**
 * A file or sheet hands over the password without a reason: in an organisation's library that
 * is for those who may export the library anyway; everyone else reveals with a reason.
 */
export function downloadAction(library: Library): LibraryAction {
  return library.kind === 'organisation' ? 'export' : 'reveal';
}
