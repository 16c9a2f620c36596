import { z } from 'zod';
import { passkeyAssertion } from './auth.js';
import { keySummary } from './keys.js';

export const vaultStatusResponse = z.object({
  locked: z.boolean(),
  lockExpiresAt: z.string().nullable(),
});

export const vaultResponse = vaultStatusResponse.extend({
  items: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['key', 'file']),
      name: z.string(),
      key: keySummary.optional(),
      file: z
        .object({
          fileName: z.string(),
          size: z.number().int(),
          format: z.string(),
          createdAt: z.string(),
        })
        .optional(),
    }),
  ),
});

export const unlockBody = z.object({
  totpCode: z.string().max(20).optional(),
  password: z.string().max(1024).optional(),
  passkey: passkeyAssertion.optional(),
});

export type VaultStatus = z.output<typeof vaultStatusResponse>;
export type VaultState = z.output<typeof vaultResponse>;
export type VaultItem = VaultState['items'][number];
export type VaultUnlock = z.input<typeof unlockBody>;
