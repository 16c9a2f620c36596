import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import { writeRecoveryKeyFile } from '../../../bitlocker/recovery-file.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import type { Library, LibraryAccess } from '../../policies.js';
import { requireOpenVault } from '../vault/service.js';
import { keyEvent, keyInReach, passwordRef } from './key-access.js';
import type { KeySummaryRow } from './keys-repo.js';

/** Everything that hands over a recovery password: reveal, the recovery key file, the sheet. */

interface OpenedKey {
  access: LibraryAccess;
  row: KeySummaryRow;
  recoveryPassword: string;
}

/** The key with its password, for a caller who may reveal it, through an open vault if it is in one. */
async function openKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
): Promise<OpenedKey> {
  const { access, row } = await keyInReach(ctx, caller, library, 'reveal', id);
  if (row.in_vault_at !== null) await requireOpenVault(ctx, caller);
  const recoveryPassword = await ctx.secrets.getText(ctx.db, passwordRef(access.owner, id));
  if (recoveryPassword === undefined) {
    throw new Error(`recovery key ${id} has no stored recovery password`);
  }
  return { access, row, recoveryPassword };
}

/** Returns the recovery password; the audit event is written before it leaves. */
export async function revealKey(
  ctx: ServerContext,
  caller: Caller,
  library: Library,
  id: string,
): Promise<{ recoveryPassword: string; protectorId: string }> {
  const { access, row, recoveryPassword } = await openKey(ctx, caller, library, id);
  await ctx.audit.recordAlone({ action: 'key_revealed', ...keyEvent(caller, access, row) });
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
  const { access, row, recoveryPassword } = await openKey(ctx, caller, library, id);
  const file = writeRecoveryKeyFile({
    protectorId: row.protector_hex,
    recoveryPassword,
    language: lang,
  });
  await ctx.audit.recordAlone({
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
  const { access, row, recoveryPassword } = await openKey(ctx, caller, library, id);
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
  await ctx.audit.recordAlone({
    action: 'key_printed',
    ...keyEvent(caller, access, row, {
      destination: 'print',
      lang: options.lang,
      paper: options.paper,
    }),
  });
  return { fileName: `BitLocker Recovery Key ${row.protector_hex.slice(0, 8)}.pdf`, bytes };
}
