import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { authorize, personalLibrary } from '../../policies.js';
import { filesInVault, keyDisplayName, keysInVault, keySummary } from '../keys/index.js';
import { vaultStatus, type VaultItem, type VaultStatus } from './service.js';

// Apart from the vault's open state (service.ts), which the key library asks about: listing
// the vault's contents needs the key library, and the key library must not need it back.
/** What is in the vault: names only while it is locked, the details once it is open. */
export async function vaultContents(
  ctx: ServerContext,
  caller: SessionCaller,
): Promise<VaultStatus & { items: VaultItem[] }> {
  // The vault is a place in the person's own library.
  const { owner } = authorize(caller, 'read', personalLibrary(caller.accountId));
  const status = await vaultStatus(ctx, caller);
  const [keys, files] = await Promise.all([
    keysInVault(ctx.db, owner),
    filesInVault(ctx.db, owner),
  ]);
  const items: VaultItem[] = [
    ...keys.map((row) => ({
      id: row.id,
      kind: 'key' as const,
      name: keyDisplayName(row),
      ...(status.locked ? {} : { key: keySummary(row) }),
    })),
    ...files.map((row) => ({
      id: row.id,
      kind: 'file' as const,
      name: row.file_name,
      ...(status.locked
        ? {}
        : {
            file: {
              fileName: row.file_name,
              size: row.size,
              format: row.format,
              createdAt: row.created_at,
            },
          }),
    })),
  ];
  return { ...status, items };
}
