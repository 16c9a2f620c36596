import type { FindAnswer } from '../../../api/find.js';
import { normalizeKeyIdPrefix, ProtectorIdError } from '../../../bitlocker/protector-id.js';
import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { ValidationError } from '../../errors.js';
import {
  authorize,
  may,
  organisationLibrary,
  personalLibrary,
  type Principal,
} from '../../policies.js';
import type { MembershipRole } from '../../../db/schema.js';
import { libraryPolicies, organisationsOfUser } from '../orgs/index.js';
import {
  liveSessionsOfBrowser,
  rememberedAccountsOfBrowser,
} from '../../accounts/sessions-repo.js';
import {
  keySummary,
  listKeysByKeyIdOrLuksUuid,
  minimumKeyIdPrefix,
  prefixSuccessor,
} from '../keys/index.js';

/** More matches than this in one account means the prefix is too short to be useful anyway. */
const matchesPerAccount = 20;

function parsePrefix(keyId: string): string {
  let prefix: string;
  try {
    prefix = normalizeKeyIdPrefix(keyId);
  } catch (error) {
    if (!(error instanceof ProtectorIdError)) throw error;
    throw new ValidationError(error.wording, [{ field: 'keyId', reason: error.wording }]);
  }
  if (prefix.length < minimumKeyIdPrefix) {
    const reason = {
      en: `type at least ${minimumKeyIdPrefix} characters of the Key ID (the recovery screen shows 8)`,
      nb: `skriv minst ${minimumKeyIdPrefix} tegn av nøkkel-ID-en (gjenopprettingsskjermen viser 8)`,
    };
    throw new ValidationError(
      { en: `Too short to search: ${reason.en}.`, nb: `For kort til å søke: ${reason.nb}.` },
      [{ field: 'keyId', reason }],
    );
  }
  return prefix;
}

/**
 * The keys with the prefix in the organisation libraries one signed-in account may reveal from:
 * all of them for helpdesk, admins and owners; for members, their own devices' keys while the
 * organisation lets them reveal those. Keys in the bin are left out: nobody reveals those at
 * the recovery screen.
 */
async function organisationMatches(
  ctx: ServerContext,
  session: { user_id: string; email: string },
  range: { from: string; to: string | undefined },
): Promise<FindAnswer['organisations']> {
  const organisations = await organisationsOfUser(ctx.db, session.user_id);
  const principal: Principal = {
    accountId: session.user_id,
    memberships: new Map(organisations.map((org) => [org.id, org.role as MembershipRole])),
  };
  const found: FindAnswer['organisations'] = [];
  for (const organisation of organisations) {
    const library = organisationLibrary(organisation.id);
    if (!may(principal, 'reveal', library)) continue;
    const access = authorize(principal, 'reveal', library);
    if (access.assignee !== undefined) {
      const policies = await libraryPolicies(ctx.db, organisation.id);
      if (!policies.selfServiceReveal) continue;
    }
    const rows = await listKeysByKeyIdOrLuksUuid(ctx.db, access.owner, range, {
      deleted: false,
      after: undefined,
      limit: matchesPerAccount,
      assignee: access.assignee,
    });
    if (rows.length === 0) continue;
    found.push({
      organisationId: organisation.id,
      organisationName: organisation.name,
      role: organisation.role,
      accountId: session.user_id,
      email: session.email,
      keys: rows.slice(0, matchesPerAccount).map((row) => {
        const summary = keySummary(row);
        return {
          id: summary.id,
          kind: summary.kind,
          shortId: summary.shortId,
          protectorId: summary.protectorId,
          luks: summary.luks,
          deviceId: row.device_id,
          deviceName: summary.deviceName,
          volume: summary.volume,
          rotationRequired: summary.rotationRequired,
        };
      }),
    });
  }
  return found;
}

/**
 * "Find my key": which of the accounts signed in to this browser hold a key whose ID (or whose
 * LUKS volume's UUID) starts with the characters the recovery screen shows, in their own library or in an organisation's they
 * may reveal from. It names keys without revealing them; revealing happens as that account.
 * The places to look elsewhere are always part of the answer.
 */
export async function findKey(
  ctx: ServerContext,
  caller: SessionCaller,
  keyId: string,
): Promise<FindAnswer> {
  const prefix = parsePrefix(keyId);
  const range = { from: prefix, to: prefixSuccessor(prefix) };
  const sessions = await liveSessionsOfBrowser(ctx.db, caller.browserId, ctx.now());
  const matches: FindAnswer['matches'] = [];
  const organisations: FindAnswer['organisations'] = [];
  for (const session of sessions) {
    organisations.push(...(await organisationMatches(ctx, session, range)));
    // Each account signed in here acts for itself and reads its own library, where no
    // organisation role counts.
    const { owner } = authorize(
      { accountId: session.user_id, memberships: new Map() },
      'read',
      personalLibrary(session.user_id),
    );
    const rows = await listKeysByKeyIdOrLuksUuid(ctx.db, owner, range, {
      deleted: undefined,
      after: undefined,
      limit: matchesPerAccount,
    });
    if (rows.length === 0) continue;
    matches.push({
      accountId: session.user_id,
      email: session.email,
      displayName: session.display_name,
      keys: rows.slice(0, matchesPerAccount).map((row) => {
        const summary = keySummary(row);
        return {
          id: summary.id,
          kind: summary.kind,
          shortId: summary.shortId,
          protectorId: summary.protectorId,
          luks: summary.luks,
          deviceName: summary.deviceName,
          volume: summary.volume,
          inVault: summary.inVault,
          deletedAt: summary.deletedAt,
        };
      }),
    });
  }
  const signedOut = await rememberedAccountsOfBrowser(
    ctx.db,
    caller.browserId,
    sessions.map((session) => session.user_id),
  );
  return { prefix, matches, organisations, elsewhere: elsewhere(signedOut) };
}

function elsewhere(signedOut: { user_id: string; email: string }[]): FindAnswer['elsewhere'] {
  const otherAccount: FindAnswer['elsewhere'][number] = {
    place: 'other-account',
    hint:
      signedOut.length > 0
        ? 'Sign in again to the accounts that are signed out in this browser, then search again.'
        : 'If you have another Keyhold account (work, family), sign in to it too; this search covers every account signed in here.',
  };
  if (signedOut.length > 0) {
    otherAccount.accounts = signedOut.map((account) => ({
      accountId: account.user_id,
      email: account.email,
    }));
  }
  return [
    {
      place: 'paper',
      hint: 'A printed recovery key sheet, kept with important papers: compare its Key ID.',
    },
    {
      place: 'usb',
      hint: 'A USB drive holding "BitLocker Recovery Key <Key ID>.TXT" or a .BEK file.',
    },
    {
      place: 'file',
      hint: 'A file named "BitLocker Recovery Key <Key ID>.TXT" on another computer or drive.',
    },
    otherAccount,
    {
      place: 'organisation',
      hint: 'If the PC belongs to your work or school, its IT department may hold the key.',
    },
  ];
}
