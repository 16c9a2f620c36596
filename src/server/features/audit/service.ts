import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { SealedSecrets } from '../../../crypto/sealed-secrets.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { newId } from '../../../db/ids.js';
import type { TransactionWork } from '../../../db/group-commit.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import { auditEventHash, ChainVerifier, describeProblem, type ChainProblem } from './chain.js';
import { chainHead, claimNextSeq, eventsInOrder, eventsOfUser, insertEvent } from './repo.js';

/**
 * Who did what an event records, and from where. A request's Caller is one; an account acting
 * before it has a session (signing up or in) is its id with the request's origin.
 */
export interface AuditActor {
  /** Null for the server itself, or for a request not tied to an account (a failed sign-in). */
  accountId: string | null;
  ipAddress: string | null;
  userAgent: string | null;
}

/** The server acting on its own schedule or for an operator's command: no account, no origin. */
export const serverActor: AuditActor = { accountId: null, ipAddress: null, userAgent: null };

export interface AuditEvent {
  action: string;
  /** The account the event is about; the actor's own unless named. */
  subjectUserId?: string | null | undefined;
  organisationId?: string | null | undefined;
  /** Plain facts only; never a secret (the audit log is shown to people and exported). */
  details?: Record<string, unknown>;
}

export interface AuditVerification {
  events: number;
  head: { seq: number; hash: string };
  problem: string | undefined;
  brokenEvent: { seq: number; id: string } | undefined;
}

const auditKeyRef = { kind: 'audit_chain_key', boundId: 'audit-chain', owner: undefined };

/**
 * The key the chain is computed with, created on first start. Opening it also proves at start-up
 * that the master key belongs to this database.
 */
export async function loadAuditKey(
  db: Kysely<DatabaseSchema>,
  secrets: SealedSecrets,
): Promise<Buffer> {
  const existing = await secrets.get(db, auditKeyRef);
  if (existing) return existing;
  try {
    await secrets.create(db, auditKeyRef, randomBytes(32));
  } catch (error) {
    // Another server process created it first; theirs is the one everybody uses.
    if (!isUniqueViolation(error)) throw error;
  }
  const created = await secrets.get(db, auditKeyRef);
  if (!created) throw new Error('the audit chain key could not be stored');
  return created;
}

/** Appends events to the hash chain, lists a person's events, and verifies the chain. */
export class AuditLog {
  constructor(
    private readonly key: Buffer,
    private readonly now: () => Date,
    /** Runs a transaction of its own (Database.transaction: shares commits on SQLite). */
    private readonly transaction: <T>(work: TransactionWork<T>) => Promise<T>,
  ) {}

  /**
   * In the caller's transaction, so the event commits with the change it records. The actor,
   * subject (unless the event names another) and origin all come from `actor`, so no event can
   * name one account as actor and another's address as where it came from.
   */
  async record(trx: Kysely<DatabaseSchema>, actor: AuditActor, event: AuditEvent): Promise<void> {
    if (!trx.isTransaction) throw new Error('AuditLog.record needs a transaction');
    await this.append(trx, actor, event);
  }

  /** An event that records no change of its own (a reveal, a download), committed on its own. */
  async recordAlone(actor: AuditActor, event: AuditEvent): Promise<void> {
    await this.transaction((trx) => this.append(trx, actor, event));
  }

  private async append(
    trx: Kysely<DatabaseSchema>,
    actor: AuditActor,
    input: AuditEvent,
  ): Promise<void> {
    const { seq, prevHash } = await claimNextSeq(trx);
    const event = {
      id: newId(),
      seq,
      at: this.now().toISOString(),
      action: input.action,
      actor_user_id: actor.accountId,
      subject_user_id: input.subjectUserId ?? actor.accountId,
      organisation_id: input.organisationId ?? null,
      ip_address: actor.ipAddress,
      user_agent: actor.userAgent,
      details: JSON.stringify(input.details ?? {}),
      prev_hash: prevHash,
    };
    await insertEvent(trx, { ...event, hash: auditEventHash(this.key, event) });
  }

  listForUser(
    db: Kysely<DatabaseSchema>,
    userId: string,
    page: { beforeSeq: number | undefined; limit: number },
  ) {
    return eventsOfUser(db, userId, page);
  }

  /** Walks the whole chain and reports the first broken link. */
  async verify(db: Kysely<DatabaseSchema>, batchSize = 1000): Promise<AuditVerification> {
    const verifier = new ChainVerifier(this.key);
    const head = await chainHead(db);
    let events = 0;
    let problem: ChainProblem | undefined;
    for (let batch = await eventsInOrder(db, 0, batchSize); batch.length > 0;) {
      for (const event of batch) {
        problem = verifier.next(event);
        if (problem) break;
        events += 1;
      }
      if (problem) break;
      batch = await eventsInOrder(db, verifier.lastSeq, batchSize);
    }
    problem ??= verifier.finish(head);
    const brokenEvent =
      problem && problem.kind !== 'truncated'
        ? { seq: problem.event.seq, id: problem.event.id }
        : undefined;
    return {
      events,
      head: { seq: head.last_seq, hash: head.last_hash },
      problem: problem ? describeProblem(problem) : undefined,
      brokenEvent,
    };
  }
}
