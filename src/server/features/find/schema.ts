import { z } from 'zod';
import { volumeTypes } from '../../../db/schema.js';

export const findResponse = z.object({
  prefix: z.string(),
  matches: z.array(
    z.object({
      accountId: z.string(),
      email: z.string(),
      displayName: z.string(),
      keys: z.array(
        z.object({
          id: z.string(),
          shortId: z.string(),
          protectorId: z.string(),
          deviceName: z.string(),
          volume: z.object({
            label: z.string(),
            type: z.enum(volumeTypes),
            volumeGuid: z.string().nullable(),
          }),
          inVault: z.boolean(),
          deletedAt: z.string().nullable(),
        }),
      ),
    }),
  ),
  elsewhere: z.array(
    z.object({
      place: z.enum(['paper', 'usb', 'file', 'other-account', 'organisation']),
      hint: z.string(),
      accounts: z.array(z.object({ accountId: z.string(), email: z.string() })).optional(),
    }),
  ),
});
