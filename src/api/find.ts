import { z } from 'zod';
import { keyKinds, volumeTypes } from './keys.js';

/** For a LUKS key: the volume's LUKS UUID and the key slot holding the passphrase. */
const luksPlace = z.object({ uuid: z.string(), slot: z.number().int() }).nullable();

/**
 * The Key ID (or a LUKS volume's UUID), or the start of it, as typed: the service says what is
 * wrong with it.
 */
export const findQuery = z.object({ keyId: z.string().max(100) });

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
          kind: z.enum(keyKinds),
          shortId: z.string(),
          protectorId: z.string(),
          luks: luksPlace,
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
  organisations: z
    .array(
      z.object({
        organisationId: z.string(),
        organisationName: z.string(),
        role: z.string().describe("The account's role in the organisation"),
        accountId: z.string().describe('The signed-in account that may reveal these keys'),
        email: z.string(),
        keys: z.array(
          z.object({
            id: z.string(),
            kind: z.enum(keyKinds),
            shortId: z.string(),
            protectorId: z.string(),
            luks: luksPlace,
            deviceId: z.string(),
            deviceName: z.string(),
            volume: z.object({
              label: z.string(),
              type: z.enum(volumeTypes),
              volumeGuid: z.string().nullable(),
            }),
            rotationRequired: z.boolean(),
          }),
        ),
      }),
    )
    .describe(
      'Organisation libraries the signed-in accounts may reveal from: everything for helpdesk, admins and owners, their own devices for members while self-service is on',
    ),
  elsewhere: z.array(
    z.object({
      place: z.enum(['paper', 'usb', 'file', 'other-account', 'organisation']),
      hint: z.string(),
      accounts: z.array(z.object({ accountId: z.string(), email: z.string() })).optional(),
    }),
  ),
});

export type FindAnswer = z.output<typeof findResponse>;
export type FindMatch = FindAnswer['matches'][number];
export type FoundKey = FindMatch['keys'][number];
export type OrganisationMatch = FindAnswer['organisations'][number];
export type ElsewherePlace = FindAnswer['elsewhere'][number]['place'];
