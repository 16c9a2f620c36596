import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import { writeRecoveryKeyFile } from '../../../bitlocker/recovery-file.js';
import { writeLuksRecoveryFile } from '../../../luks/recovery-file.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ForbiddenError, ValidationError } from '../../errors.js';
import type { Library, LibraryAccess, LibraryAction } from '../../policies.js';
import { requireRecentSignin } from '../auth/index.js';
import { libraryPolicies, stepUpMinutesOf } from '../orgs/index.js';
import { requireOpenVault } from '../vault/index.js';
import {
  downloadAction,
  keyEvent,
  keyInReach,
  keyWithPasswordInReach,
  passwordWithEvent,
  storedPasswordIn,
} from './key-access.js';
import { requestApproval, revealNeedsApproval, revealWithApproval } from './approvals.js';
import type { KeySummaryRow } from './keys-repo.js';
import { markRevealed } from './rotation.js';
import { keySummary } from './summary.js';
import { queueRevealNotices } from './reveal-notices.js';

/** Everything that hands over a recovery password: reveal, the recovery key file, the sheet. */

interface OpenedKey {
  access: LibraryAccess;
  row: KeySummaryRow;
  recoveryPassword: string;
}

/** Why an organisation's key is revealed, and the helpdesk ticket it belongs to. */
export interface RevealReason {
  reason: string;
  reasonText?: string | undefined;
  ticket?: string | undefined;
}

/**
 * The reason of an organisation reveal, checked; a person's own library asks for none (and
 * keeps none that is sent).
 */
function revealReasonFor(
  library: Library,
  given: Partial<RevealReason> | null | undefined,
): RevealReason | undefined {
  if (library.kind === 'personal') return undefined;
  if (given?.reason === undefined) {
    throw new ValidationError(
      {
        en: 'Say why the key is needed: choose a reason.',
        nb: 'Si hvorfor nøkkelen trengs: velg en grunn.',
      },
      [
        {
          field: 'reason',
          reason: {
            en: 'required for a key of an organisation',
            nb: 'kreves for en nøkkel som tilhører en organisasjon',
          },
        },
      ],
    );
  }
  if (given.reason === 'other' && (given.reasonText ?? '') === '') {
    throw new ValidationError(
      {
        en: 'Say in a few words why the key is needed when the reason is "other".',
        nb: 'Skriv med noen få ord hvorfor nøkkelen trengs når grunnen er «annet».',
      },
      [
        {
          field: 'reasonText',
          reason: {
            en: 'required with the reason "other"',
            nb: 'kreves når grunnen er «annet» ("other")',
          },
        },
      ],
    );
  }
  return {
    reason: given.reason,
    ...(given.reasonText === undefined ? {} : { reasonText: given.reasonText }),
    ...(given.ticket === undefined ? {} : { ticket: given.ticket }),
  };
}

/**
 * The key, for a caller who may do `action` on it now: an organisation's members reveal their
 * own devices' keys only while the organisation's self-service policy allows it, an
 * organisation's key asks for a recent sign-in (step-up), since a browser left signed in should
 * not hand out other people's keys, and a key in the vault needs the vault open.
 */
async function keyToOpen(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  action: LibraryAction,
): Promise<{ access: LibraryAccess; row: KeySummaryRow; openPassword: () => string }> {
  const { access, row, openPassword } = await keyWithPasswordInReach(
    ctx,
    caller,
    library,
    action,
    id,
  );
  await requireMayOpen(ctx, caller, access, row);
  return { access, row, openPassword };
}

/** The checks of keyToOpen that come after the key is found in reach. */
async function requireMayOpen(
  ctx: ServerContext,
  caller: Caller,
  access: LibraryAccess,
  row: KeySummaryRow,
): Promise<void> {
  if (access.library.kind === 'organisation' && access.role === 'member') {
    const policies = await libraryPolicies(ctx.db, access.library.organisationId);
    if (!policies.selfServiceReveal) {
      throw new ForbiddenError({
        en: 'Your organisation has turned off revealing your own keys: ask its helpdesk.',
        nb: 'Organisasjonen din har slått av visning av egne nøkler: spør brukerstøtten der.',
      });
    }
  }
  if (access.library.kind === 'organisation' && caller.kind === 'session') {
    const windowMinutes = await stepUpMinutesOf(ctx, access.library.organisationId);
    await requireRecentSignin(ctx, caller, undefined, windowMinutes);
  }
  if (row.in_vault_at !== null) await requireOpenVault(ctx, caller);
}

/** The stored password; once it is handed over, an organisation's key waits for rotation. */
async function storedPassword(
  ctx: ServerContext,
  access: LibraryAccess,
  row: KeySummaryRow,
  openPassword: () => string,
) {
  const recoveryPassword = openPassword();
  await markRevealed(ctx, access, row);
  return recoveryPassword;
}

/** The key with its password, for a caller who may do `action` on it (see `keyToOpen`). */
async function openKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  action: LibraryAction = 'reveal',
): Promise<OpenedKey> {
  const { access, row, openPassword } = await keyToOpen(ctx, caller, library, id, action);
  return { access, row, recoveryPassword: await storedPassword(ctx, access, row, openPassword) };
}

export interface RevealedKey {
  recoveryPassword: string;
  protectorId: string;
}

/** A reveal that waits for someone's approval: reveal again with this id once approved. */
export interface RevealAwaitingApproval {
  approvalId: string;
}

/**
 * Returns the recovery password; the audit event is written before it leaves. A helpdesk
 * reveal in an organisation that requires approval files a request instead, and with the id of
 * an approved request reveals the key (once per approval).
 */
export async function revealKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  given?: (Partial<RevealReason> & { approvalId?: string | undefined }) | null,
): Promise<RevealedKey | RevealAwaitingApproval> {
  const reason = revealReasonFor(library, given);
  // Only an organisation's reveals give a reason.
  if (!reason) return revealOwnKey(ctx, caller, library, id);
  const { access, row } = await keyInReach(ctx, caller, library, 'reveal', id);
  await requireMayOpen(ctx, caller, access, row);
  if (await revealNeedsApproval(ctx, access)) {
    if (given?.approvalId === undefined) {
      return { approvalId: await requestApproval(ctx, caller, access, row, reason) };
    }
    // Opened before the approval is spent, so a key that cannot be read spends none; the
    // approval's transaction marks the key, so an unusable approval leaves it unmarked.
    const recoveryPassword = await storedPasswordIn(ctx, ctx.db, access.owner, row.id);
    await revealWithApproval(ctx, caller, access, row, given.approvalId);
    return { recoveryPassword, protectorId: parseProtectorId(row.protector_hex) };
  }
  if (access.library.kind !== 'organisation')
    throw new Error("only an organisation's reveal has a reason");
  const revealed = {
    action: 'key_revealed' as const,
    ...keyEvent(caller, access, row, { ...reason }),
  };
  const organisationId = access.library.organisationId;
  // The password is read and opened in the transaction that records the reveal, so what is
  // handed over is what the event records; the mark and the notices go out with the event or not
  // at all, and a password that cannot be opened leaves none of them.
  const recoveryPassword = await ctx.database.transaction(async (trx) => {
    const opened = await storedPasswordIn(ctx, trx, access.owner, row.id);
    await markRevealed(ctx, access, row, trx);
    await ctx.audit.record(trx, caller, revealed);
    await queueRevealNotices(
      ctx,
      trx,
      caller,
      {
        organisationId,
        keyId: row.id,
        protectorHex: row.protector_hex,
        deviceName: row.device_name,
        assigneeId: row.device_assignee_id,
      },
      {
        reason: reason.reason,
        reasonText: reason.reasonText ?? null,
        ticket: reason.ticket ?? null,
        approvedBy: null,
      },
    );
    return opened;
  });
  return { recoveryPassword, protectorId: parseProtectorId(row.protector_hex) };
}

/**
 * A reveal in a person's own library: the key is looked up, then its password read in the
 * transaction that records the reveal (see passwordWithEvent).
 */
async function revealOwnKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
): Promise<RevealedKey> {
  const { access, row } = await keyInReach(ctx, caller, library, 'reveal', id);
  await requireMayOpen(ctx, caller, access, row);
  const recoveryPassword = await passwordWithEvent(ctx, caller, access.owner, row.id, {
    action: 'key_revealed',
    ...keyEvent(caller, access, row),
  });
  return { recoveryPassword, protectorId: parseProtectorId(row.protector_hex) };
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
  library: Library,
  id: string,
  lang: FileLanguage,
): Promise<{ fileName: string; bytes: Buffer; contentType: string }> {
  const { access, row, recoveryPassword } = await openKey(
    ctx,
    caller,
    library,
    id,
    downloadAction(library),
  );
  const luks = keySummary(row).luks;
  const file = luks
    ? writeLuksRecoveryFile({
        uuid: luks.uuid,
        slot: luks.slot,
        passphrase: recoveryPassword,
        deviceName: row.device_name,
        volumeLabel: row.volume_label,
        language: lang,
      })
    : writeRecoveryKeyFile({
        protectorId: row.protector_hex,
        recoveryPassword,
        language: lang,
      });
  await ctx.audit.recordAlone(caller, {
    action: 'key_downloaded',
    ...keyEvent(caller, access, row, { destination: 'file', lang }),
  });
  return {
    ...file,
    // Windows writes its file in UTF-16; the LUKS one is for Linux, in UTF-8.
    contentType: luks ? 'text/plain; charset=utf-8' : 'text/plain; charset=utf-16le',
  };
}

/** The printable sheet (PDF); audited, and like the file not a backup until it is recorded. */
export async function recoverySheet(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  options: { lang: FileLanguage; paper: 'a4' | 'letter' },
): Promise<{ fileName: string; bytes: Buffer }> {
  const { access, row, recoveryPassword } = await openKey(
    ctx,
    caller,
    library,
    id,
    downloadAction(library),
  );
  // pdfkit and its fonts are loaded on the first print, not at server start.
  const { renderRecoverySheet } = await import('../../../backup/recovery-sheet.js');
  const luks = keySummary(row).luks;
  const bytes = await renderRecoverySheet({
    ...(luks ? { luks } : {}),
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
    ...keyEvent(caller, access, row, {
      destination: 'print',
      lang: options.lang,
      paper: options.paper,
    }),
  });
  const fileName = luks
    ? `LUKS Recovery Passphrase ${luks.uuid.slice(0, 8)}.pdf`
    : `BitLocker Recovery Key ${row.protector_hex.slice(0, 8)}.pdf`;
  return { fileName, bytes };
}
