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
const lockSteps = [1, 2, 4, 8, 16, 32, maxLockMinutes];

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
  /** Confirmation links tried from one IP address. */
  confirmEmail: { free: 30, quietMinutes: 15 },
  /** New confirmation links one account asks for. */
  confirmationMail: { free: 5, quietMinutes: 60 },
  /**
   * Enrollment tokens tried from one IP address: a whole office behind one address may enroll
   * at once, so the allowance is wide; only tokens nobody issued keep their attempt.
   */
  enrollment: { free: 100, quietMinutes: 15 },
} satisfies Record<string, LimitPolicy>;

/**
 * Credential checks one process runs at the same time for one account or one address; the rest
 * wait their turn. The database reservations already bound how many are evaluated; this keeps a
 * burst from running hundreds of argon2 computations (64 MiB each) at once in one process.
 */
export const inFlightCaps = { account: 2, ip: 8 } as const;
/** Checks that may wait for a slot on one key; any more are refused at once. */
const maxWaitingChecks = 64;

/** Keys: one per account (by its normalized email, so unknown emails behave alike) or per IP. */
export const limitKeys = {
  account: (normalizedEmail: string) => `account:${sha256Hex(normalizedEmail)}`,
  ip: (ip: string) => `credentials-ip:${ip}`,
  signup: (ip: string) => `signup-ip:${ip}`,
  identify: (ip: string) => `identify-ip:${ip}`,
  memberInvite: (userId: string) => `member-invite:${userId}`,
  confirmEmail: (ip: string) => `confirm-email-ip:${ip}`,
  confirmationMail: (userId: string) => `confirmation-mail:${userId}`,
  enrollment: (ip: string) => `enrollment-ip:${ip}`,
};

/** The refusal for a failed trial: its lock-out, started when it was reserved, stands. */
export function lockedOutUntil(lockedUntil: string, now: Date): RateLimitedError {
  return new RateLimitedError(
    Math.max(1, Math.ceil((Date.parse(lockedUntil) - now.getTime()) / 1000)),
  );
}

export interface LimitedKey {
  key: string;
  policy: LimitPolicy;
}

/** One attempt reserved on one key, until it is released (success) or kept (failure). */
export interface Reservation {
  key: string;
  /**
   * Set when this attempt is the one trial allowed after a lock-out ended: it locked the key
   * again before being evaluated, so nothing else is evaluated meanwhile. A success lifts that
   * lock again; a failure keeps it, and the caller answers 429 with its length.
   */
  lockedUntil: string | null;
}

/**
 * Growing delays on credential checks, kept in the database so every server process shares them.
 *
 * An attempt is reserved before the credential is looked at, in one conditional upsert that both
 * counts it and refuses it, so however many requests arrive at once only the allowance is ever
 * evaluated: the first `free` attempts are evaluated; the next one locks the key for a minute and
 * is refused; after each lock-out one more attempt is evaluated, locking the key for twice as long
 * while it runs. A success releases its reservation (or clears the key); a failure keeps it.
 */
export class CredentialLimiter {
  private readonly inFlight = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly now: () => Date,
  ) {}

  /**
   * Reserves one attempt on every key, or on none: throws RateLimitedError (with the longest
   * wait) when any key refuses, releasing the reservations it had already made.
   */
  async reserve(keys: LimitedKey[]): Promise<Reservation[]> {
    const outcomes = await Promise.allSettled(keys.map((key) => this.reserveOne(key)));
    const reserved = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refusals = outcomes.flatMap((o) =>
      o.status === 'rejected' ? [o.reason as unknown] : [],
    );
    if (refusals.length === 0) return reserved;
    await Promise.all(reserved.map((reservation) => this.release(reservation)));
    const failure = refusals.find((reason) => !(reason instanceof RateLimitedError));
    if (failure !== undefined) {
      throw failure instanceof Error ? failure : new Error('reserving a credential attempt failed');
    }
    const locks = refusals.filter((reason) => reason instanceof RateLimitedError);
    const longest = locks.sort((a, b) => b.retryAfterSeconds - a.retryAfterSeconds)[0];
    throw longest ?? new RateLimitedError(1);
  }

  private async reserveOne({ key, policy }: LimitedKey): Promise<Reservation> {
    const now = this.now();
    const at = now.toISOString();
    const quietSince = new Date(now.getTime() - policy.quietMinutes * 60_000).toISOString();
    const locked = sql<boolean>`credential_attempts.locked_until is not null
      and credential_attempts.locked_until > ${at}`;
    const isQuiet = sql<boolean>`credential_attempts.last_attempt_at < ${quietSince}
      and (credential_attempts.locked_until is null or credential_attempts.locked_until < ${at})`;
    // Past the allowance (the stored count already holds `free` attempts): this one locks.
    const overAllowance = sql<boolean>`credential_attempts.attempts >= ${policy.free}`;
    const lockEnd = sql<string>`case credential_attempts.lockouts ${sql.join(
      lockSteps
        .slice(0, -1)
        .map((minutes, index) => sql`when ${index} then ${this.after(now, minutes)}`),
      sql` `,
    )} else ${this.after(now, maxLockMinutes)} end`;
    // Refused while locked (the update's condition fails and no row comes back); otherwise
    // counted, and locked when past the allowance. The row returned is this attempt's own.
    const row = await this.db
      .insertInto('credential_attempts')
      .values({ key, attempts: 1, lockouts: 0, last_attempt_at: at, locked_until: null })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({
            attempts: sql<number>`case when ${isQuiet} then 1
              else credential_attempts.attempts + 1 end`,
            lockouts: sql<number>`case when ${isQuiet} then 0
              when ${overAllowance} then credential_attempts.lockouts + 1
              else credential_attempts.lockouts end`,
            locked_until: sql<string | null>`case when ${isQuiet} then null
              when ${overAllowance} then ${lockEnd}
              else credential_attempts.locked_until end`,
            last_attempt_at: at,
          })
          .where(sql<boolean>`not (${locked})`),
      )
      .returning(['attempts', 'locked_until'])
      .executeTakeFirst();
    if (!row) throw new RateLimitedError(await this.lockedSeconds(key));
    const startedLock = row.locked_until !== null && row.locked_until > at;
    if (!startedLock) return { key, lockedUntil: null };
    // The first attempt past the allowance only starts the lock-out; later ones are trials.
    if (row.attempts === policy.free + 1) {
      throw new RateLimitedError(this.secondsUntil(row.locked_until ?? at));
    }
    return { key, lockedUntil: row.locked_until };
  }

  /** Gives a reserved attempt back: it succeeded, or it was never evaluated. */
  async release(reservation: Reservation): Promise<void> {
    const ownLock = sql<boolean>`credential_attempts.locked_until = ${reservation.lockedUntil}`;
    await this.db
      .updateTable('credential_attempts')
      .set({
        attempts: sql<number>`case when credential_attempts.attempts > 0
          then credential_attempts.attempts - 1 else 0 end`,
        ...(reservation.lockedUntil === null
          ? {}
          : {
              lockouts: sql<number>`case when ${ownLock} and credential_attempts.lockouts > 0
                then credential_attempts.lockouts - 1 else credential_attempts.lockouts end`,
              locked_until: sql<
                string | null
              >`case when ${ownLock} then null else credential_attempts.locked_until end`,
            }),
      })
      .where('key', '=', reservation.key)
      .execute();
  }

  /** Counts an attempt that is not a failure (sign-up, identify) against its own allowance. */
  async count(key: string, policy: LimitPolicy): Promise<void> {
    await this.reserve([{ key, policy }]);
  }

  async clear(key: string): Promise<void> {
    await this.db.deleteFrom('credential_attempts').where('key', '=', key).execute();
  }

  /**
   * Waits for a slot for a credential check in this process on each key (taken in the order
   * given, which every caller keeps, so two checks never wait on each other), or throws
   * RateLimitedError when too many already wait; the returned function gives the slots back.
   */
  async enter(slots: { key: string; cap: number }[]): Promise<() => void> {
    const taken: string[] = [];
    const leave = () => {
      for (const key of taken.splice(0)) this.leaveSlot(key);
    };
    try {
      for (const { key, cap } of slots) {
        await this.enterSlot(key, cap);
        taken.push(key);
      }
    } catch (error) {
      leave();
      throw error;
    }
    return leave;
  }

  private async enterSlot(key: string, cap: number): Promise<void> {
    let slot = this.inFlight.get(key);
    if (!slot) {
      slot = { running: 0, waiting: [] };
      this.inFlight.set(key, slot);
    }
    if (slot.running < cap) {
      slot.running += 1;
      return;
    }
    if (slot.waiting.length >= maxWaitingChecks) throw new RateLimitedError(1);
    // The slot passes straight to the waiter (running stays the same), first come first served.
    await new Promise<void>((resolve) => slot.waiting.push(resolve));
  }

  private leaveSlot(key: string): void {
    const slot = this.inFlight.get(key);
    if (!slot) return;
    const next = slot.waiting.shift();
    if (next) {
      next();
      return;
    }
    slot.running -= 1;
    if (slot.running === 0) this.inFlight.delete(key);
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

  private async lockedSeconds(key: string): Promise<number> {
    const row = await this.db
      .selectFrom('credential_attempts')
      .select('locked_until')
      .where('key', '=', key)
      .executeTakeFirst();
    // The lock may have been lifted in between (a trial that succeeded): try again shortly.
    return row?.locked_until ? this.secondsUntil(row.locked_until) : 1;
  }

  private after(now: Date, minutes: number): string {
    return new Date(now.getTime() + minutes * 60_000).toISOString();
  }

  private secondsUntil(iso: string): number {
    return Math.max(1, Math.ceil((Date.parse(iso) - this.now().getTime()) / 1000));
  }
}
