import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import { writeRecoveryKeyFile } from '../../../bitlocker/recovery-file.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ForbiddenError, ValidationError } from '../../errors.js';
import type { Library, LibraryAccess, LibraryAction } from '../../policies.js';
import { requireRecentSignin } from '../auth/index.js';
import { libraryPolicies } from '../orgs/index.js';
import { requireOpenVault } from '../vault/index.js';
import { downloadAction, keyEvent, keyInReach, passwordRef } from './key-access.js';
import type { KeySummaryRow } from './keys-repo.js';
import { markRevealed } from './rotation.js';

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
      [{ field: 'reason', reason: 'required for a key of an organisation' }],
    );
  }
  if (given.reason === 'other' && (given.reasonText ?? '') === '') {
    throw new ValidationError(
      {
        en: 'Say in a few words why the key is needed when the reason is "other".',
        nb: 'Skriv med noen få ord hvorfor nøkkelen trengs når grunnen er «annet».',
      },
      [{ field: 'reasonText', reason: 'required with the reason "other"' }],
    );
  }
  return {
    reason: given.reason,
    ...(given.reasonText === undefined ? {} : { reasonText: given.reasonText }),
    ...(given.ticket === undefined ? {} : { ticket: given.ticket }),
  };
}

/**
 * The key with its password, for a caller who may do `action` on it, through an open vault if it
 * is in one. An organisation's members reveal their own devices' keys only while the
 * organisation's self-service policy allows it, and an organisation's key asks for a recent
 * sign-in (step-up), since a browser left signed in should not hand out other people's keys.
 */
async function openKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  action: LibraryAction = 'reveal',
): Promise<OpenedKey> {
  const { access, row } = await keyInReach(ctx, caller, library, action, id);
  if (access.library.kind === 'organisation' && access.role === 'member') {
    const policies = await libraryPolicies(ctx.db, access.library.organisationId);
    if (!policies.selfServiceReveal) {
      throw new ForbiddenError(
        'Your organisation has turned off revealing your own keys: ask its helpdesk.',
      );
    }
  }
  if (access.library.kind === 'organisation' && caller.kind === 'session') {
    await requireRecentSignin(ctx, caller);
  }
  if (row.in_vault_at !== null) await requireOpenVault(ctx, caller);
  const recoveryPassword = await ctx.secrets.getText(ctx.db, passwordRef(access.owner, id));
  if (recoveryPassword === undefined) {
    throw new Error(`recovery key ${id} has no stored recovery password`);
  }
  await markRevealed(ctx, access, row);
  return { access, row, recoveryPassword };
}

/** Returns the recovery password; the audit event is written before it leaves. */
export async function revealKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
  given?: Partial<RevealReason> | null,
): Promise<{ recoveryPassword: string; protectorId: string }> {
  const reason = revealReasonFor(library, given);
  const { access, row, recoveryPassword } = await openKey(ctx, caller, library, id);
  await ctx.audit.recordAlone(caller, {
    action: 'key_revealed',
    ...keyEvent(caller, access, row, reason ? { ...reason } : {}),
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
): Promise<{ fileName: string; bytes: Buffer }> {
  const { access, row, recoveryPassword } = await openKey(
    ctx,
    caller,
    library,
    id,
    downloadAction(library),
  );
  const file = writeRecoveryKeyFile({
    protectorId: row.protector_hex,
    recoveryPassword,
    language: lang,
  });
  await ctx.audit.recordAlone(caller, {
    action: 'key_downloaded',
    ...keyEvent(caller, access, row, { destination: 'file', lang }),
  });
  return file;
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
    ...keyEvent(caller, access, row, {
      destination: 'print',
      lang: options.lang,
      paper: options.paper,
    }),
  });
  return { fileName: `BitLocker Recovery Key ${row.protector_hex.slice(0, 8)}.pdf`, bytes };
}
