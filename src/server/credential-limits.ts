import { sql, type Kysely } from 'kysely';
import { sha256Hex } from '../crypto/tokens.js';
import type { DatabaseSchema } from '../db/schema.js';
import { RateLimitedError } from './errors.js';

export interface LimitPolicy {
  /** Attempts that cost nothing. */
  free: number;
  /** Counters start again after this long without an attempt (once any lock-out has ended). */
  quietMinutes: number;
}

/** Lock-outs grow 1, 2, 4, 8 ... minutes, never beyond an hour. */
const maxLockMinutes = 60;

export const policies = {
  /** Failed password or second-factor checks for one account. */
  account: { free: 5, quietMinutes: 15 },
  /** Failed credential checks from one IP address (several people may share it). */
  ip: { free: 20, quietMinutes: 15 },
  /** Every sign-up attempt from one IP address. */
  signup: { free: 10, quietMinutes: 60 },
  /** Every identify from one IP address. */
  identify: { free: 30, quietMinutes: 15 },
  /** Adding organisation members by email, which would otherwise probe for accounts. */
  memberInvite: { free: 30, quietMinutes: 60 },
} satisfies Record<string, LimitPolicy>;

/** Keys: one per account (by its normalized email, so unknown emails behave alike) or per IP. */
export const limitKeys = {
  account: (normalizedEmail: string) => `account:${sha256Hex(normalizedEmail)}`,
  ip: (ip: string) => `credentials-ip:${ip}`,
  signup: (ip: string) => `signup-ip:${ip}`,
  identify: (ip: string) => `identify-ip:${ip}`,
  memberInvite: (userId: string) => `member-invite:${userId}`,
};

/**
 * Growing delays on credential checks, kept in the database so every server process shares them.
 * `check` refuses while a key is locked out (before any password is looked at); `fail` counts an
 * attempt and, past the free ones, locks the key out for a growing time.
 */
export class CredentialLimiter {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly now: () => Date,
  ) {}

  async check(keys: string[]): Promise<void> {
    const at = this.now().toISOString();
    const locked = await this.db
      .selectFrom('credential_attempts')
      .select('locked_until')
      .where('key', 'in', keys)
      .where('locked_until', '>', at)
      .orderBy('locked_until', 'desc')
      .executeTakeFirst();
    if (locked?.locked_until) throw new RateLimitedError(this.secondsUntil(locked.locked_until));
  }

  /** Counts one attempt; throws RateLimitedError if this attempt started a lock-out. */
  async fail(key: string, policy: LimitPolicy): Promise<void> {
    const now = this.now();
    const at = now.toISOString();
    const quietSince = new Date(now.getTime() - policy.quietMinutes * 60_000).toISOString();
    // A quiet key starts over; the upsert keeps concurrent attempts from losing counts.
    const isQuiet = sql<boolean>`credential_attempts.last_attempt_at < ${quietSince}
      and (credential_attempts.locked_until is null or credential_attempts.locked_until < ${at})`;
    const row = await this.db
      .insertInto('credential_attempts')
      .values({ key, attempts: 1, lockouts: 0, last_attempt_at: at, locked_until: null })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({
          attempts: sql<number>`case when ${isQuiet} then 1 else credential_attempts.attempts + 1 end`,
          lockouts: sql<number>`case when ${isQuiet} then 0 else credential_attempts.lockouts end`,
          last_attempt_at: at,
        }),
      )
      .returning(['attempts', 'lockouts'])
      .executeTakeFirstOrThrow();
    if (row.attempts <= policy.free) return;
    const lockMinutes = Math.min(maxLockMinutes, 2 ** row.lockouts);
    const lockedUntil = new Date(now.getTime() + lockMinutes * 60_000).toISOString();
    await this.db
      .updateTable('credential_attempts')
      .set({ lockouts: row.lockouts + 1, locked_until: lockedUntil })
      .where('key', '=', key)
      .execute();
    throw new RateLimitedError(lockMinutes * 60);
  }

  /** Counts an attempt that is not a failure (sign-up, identify) against its own allowance. */
  async count(key: string, policy: LimitPolicy): Promise<void> {
    await this.check([key]);
    await this.fail(key, policy);
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('credential_attempts').where('key', '=', key).execute();
  }

  /** Forgets counters that have been quiet for a day. */
  async prune(): Promise<void> {
    const now = this.now();
    const dayAgo = new Date(now.getTime() - 86_400_000).toISOString();
    await this.db
      .deleteFrom('credential_attempts')
      .where('last_attempt_at', '<', dayAgo)
      .where((eb) =>
        eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now.toISOString())]),
      )
      .execute();
  }

  private secondsUntil(iso: string): number {
    return Math.max(1, Math.ceil((Date.parse(iso) - this.now().getTime()) / 1000));
  }
}
