import { parseProtectorId } from '../../../bitlocker/protector-id.js';
import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { authorize, type Library } from '../../policies.js';
import { confirmPresence, type PresenceProof } from '../vault/index.js';
import * as repo from './repo.js';
import { csvTable } from '../../../text/csv.js';
import { librarySubject, notFoundLibrary, passwordRef } from './key-access.js';

export type ExportFormat = 'json' | 'csv';

export interface ExportedKey {
  protectorId: string;
  recoveryPassword: string;
  deviceName: string;
  volumeLabel: string;
  volumeType: string;
  volumeGuid: string | null;
  source: string;
  createdAt: string;
  inVault: boolean;
  deletedAt: string | null;
}

const csvColumns: (keyof ExportedKey)[] = [
  'protectorId',
  'recoveryPassword',
  'deviceName',
  'volumeLabel',
  'volumeType',
  'volumeGuid',
  'source',
  'createdAt',
  'inVault',
  'deletedAt',
];

export function toCsv(keys: ExportedKey[]): string {
  return csvTable(csvColumns, keys);
}

const exportBatch = 500;

/**
 * Every key of the caller with its recovery password, as JSON or CSV, after the person proves
 * presence again (the same proof the vault asks for, since the export holds the vault's keys too).
 */
export async function exportKeys(
  ctx: ServerContext,
  caller: SessionCaller,
  library: Library,
  input: PresenceProof & { format: ExportFormat },
): Promise<{ fileName: string; contentType: string; body: string }> {
  const access = authorize(caller, 'export', library, notFoundLibrary(library));
  const owner = access.owner;
  const method = await confirmPresence(ctx, caller, input, 'keys_export');
  const keys: ExportedKey[] = [];
  let after: repo.PageCursor | undefined;
  for (;;) {
    const rows = await repo.keysForExport(ctx.db, owner, after, exportBatch);
    for (const row of rows) {
      const recoveryPassword = await ctx.secrets.getText(ctx.db, passwordRef(owner, row.id));
      if (recoveryPassword === undefined) {
        throw new Error(`recovery key ${row.id} has no stored recovery password`);
      }
      keys.push({
        protectorId: parseProtectorId(row.protector_hex),
        recoveryPassword,
        deviceName: row.device_name,
        volumeLabel: row.volume_label,
        volumeType: row.volume_type,
        volumeGuid: row.volume_guid,
        source: row.source,
        createdAt: row.created_at,
        inVault: row.in_vault_at !== null,
        deletedAt: row.deleted_at,
      });
    }
    const last = rows.at(-1);
    if (rows.length < exportBatch || !last) break;
    after = { createdAt: last.created_at, id: last.id };
  }
  const exportedAt = ctx.now().toISOString();
  await ctx.audit.recordAlone(caller, {
    action: 'keys_exported',
    ...librarySubject(access),
    details: { format: input.format, keys: keys.length, method },
  });
  const fileName = `keyhold-keys-${exportedAt.slice(0, 10)}.${input.format}`;
  return input.format === 'json'
    ? {
        fileName,
        contentType: 'application/json; charset=utf-8',
        body: `${JSON.stringify({ exportedAt, keys }, null, 2)}\n`,
      }
    : { fileName, contentType: 'text/csv; charset=utf-8', body: toCsv(keys) };
}
