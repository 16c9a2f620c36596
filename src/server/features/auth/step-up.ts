import { sessionSignedInAt } from '../../accounts/sessions-repo.js';
import type { SessionCaller } from '../../caller.js';
import type { ServerContext } from '../../context.js';
import { DomainError } from '../../errors.js';

/** A sensitive action long after sign-in: the person confirms presence first, then retries. */
export class StepUpRequiredError extends DomainError {
  constructor() {
    super(403, 'step_up_required', {
      en: 'You signed in a while ago. Confirm it is you to see this key.',
      nb: 'Det er en stund siden du logget på. Bekreft at det er deg for å se denne nøkkelen.',
    });
  }
}

/**
 * The step-up rule for revealing an organisation key: allowed within `windowMinutes` (the
 * organisation's policy, else the server's `stepUpMinutes`, default 15) of the session's sign-in or of a later proof of presence the reveal path
 * knows of (`presenceConfirmedAt`, such as the vault being opened); otherwise StepUpRequiredError.
 */
export async function requireRecentSignin(
  ctx: ServerContext,
  caller: SessionCaller,
  presenceConfirmedAt?: string | null,
  windowMinutes: number = ctx.config.stepUpMinutes,
): Promise<void> {
  const signedInAt = await sessionSignedInAt(ctx.db, caller.sessionId);
  const latestProof = [signedInAt, presenceConfirmedAt ?? undefined]
    .flatMap((at) => (at === undefined ? [] : [Date.parse(at)]))
    .reduce((latest, at) => Math.max(latest, at), Number.NEGATIVE_INFINITY);
  if (ctx.now().getTime() - latestProof > windowMinutes * 60_000) {
    throw new StepUpRequiredError();
  }
}
