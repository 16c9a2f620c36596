import type { Kysely } from 'kysely';
import type { SecondFactorRole } from '../../../api/orgs.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import type { Caller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { DomainError, NotFoundError } from '../../errors.js';
import { authorize, organisationLibrary } from '../../policies.js';
import { hasSecondFactor } from '../auth/index.js';
import * as repo from './repo.js';
import { things } from '../../messages.js';

/**
 * What an organisation asks of the people who sign in to use its library: a second factor for
 * some roles, and how long after signing in a reveal needs no new proof of presence (step-up).
 */
export interface SigninPolicies {
  requireSecondFactorFor: SecondFactorRole[];
  /** Null: the server's `--step-up-minutes`. */
  stepUpMinutes: number | null;
}

const secondFactorRoles: readonly SecondFactorRole[] = ['owner', 'admin', 'helpdesk'];

export async function signinPolicies(
  db: Kysely<DatabaseSchema>,
  organisationId: string,
): Promise<SigninPolicies> {
  const row = await repo.signinPoliciesOf(db, organisationId);
  if (!row) throw new NotFoundError(things.organisation);
  return {
    requireSecondFactorFor: secondFactorRoles.filter((role) =>
      row.second_factor_roles.split(',').includes(role),
    ),
    stepUpMinutes: row.step_up_minutes,
  };
}

export function signinPolicyColumns(input: Partial<SigninPolicies>): Partial<repo.SigninPolicyRow> {
  return {
    ...(input.requireSecondFactorFor === undefined
      ? {}
      : {
          second_factor_roles: secondFactorRoles
            .filter((role) => input.requireSecondFactorFor?.includes(role))
            .join(','),
        }),
    ...(input.stepUpMinutes === undefined ? {} : { step_up_minutes: input.stepUpMinutes }),
  };
}

/** The step-up window for reveals of this organisation's keys, in minutes. */
export async function stepUpMinutesOf(ctx: ServerContext, organisationId: string): Promise<number> {
  const { stepUpMinutes } = await signinPolicies(ctx.db, organisationId);
  return stepUpMinutes ?? ctx.config.stepUpMinutes;
}

export class SecondFactorRequiredError extends DomainError {
  constructor(organisationName: string) {
    super(
      403,
      'second_factor_required',
      {
        en: `${organisationName} asks owners, admins and its helpdesk to use a second factor. Turn on two-step verification or add a passkey under Security, then open the library again.`,
        nb: `${organisationName} krever at eiere, administratorer og brukerstøtte bruker en ekstra faktor. Slå på totrinnsbekreftelse eller legg til en passnøkkel under Sikkerhet, og åpne biblioteket igjen.`,
      },
      { enrolAt: '/security' },
    );
  }
}

/**
 * Refuses the organisation's library to a member whose role the organisation's policy names
 * until the account has a second factor. Non-members pass here and meet the library's own 404.
 */
export async function requireSecondFactorPolicy(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
): Promise<void> {
  const role = caller.memberships.get(organisationId);
  if (role === undefined) return;
  const row = await ctx.signinPolicies.find(organisationId);
  if (!row?.second_factor_roles.split(',').includes(role)) return;
  if (await hasSecondFactor(ctx, caller.accountId)) return;
  const organisation = await repo.organisationOfMember(ctx.db, organisationId, caller.accountId);
  throw new SecondFactorRequiredError(organisation?.name ?? '');
}

/** Owners and admins change the sign-in policies, like the library's; audited with what changed. */
export async function changeSigninPolicies(
  ctx: ServerContext,
  caller: Caller,
  organisationId: string,
  input: Partial<SigninPolicies>,
): Promise<SigninPolicies> {
  authorize(caller, 'manage', organisationLibrary(organisationId), things.organisation);
  const before = await signinPolicies(ctx.db, organisationId);
  const changed = (Object.keys(input) as (keyof SigninPolicies)[]).filter(
    (name) =>
      input[name] !== undefined && JSON.stringify(input[name]) !== JSON.stringify(before[name]),
  );
  if (changed.length === 0) return before;
  await ctx.database.transaction(async (trx) => {
    await repo.updateSigninPolicies(
      trx,
      organisationId,
      signinPolicyColumns(input),
      ctx.now().toISOString(),
    );
    await ctx.audit.record(trx, caller, {
      action: 'organisation_policies_changed',
      organisationId,
      details: Object.fromEntries(changed.map((name) => [name, input[name]])),
    });
  });
  return signinPolicies(ctx.db, organisationId);
}
