import { randomBytes } from 'node:crypto';
import type { CompiledQuery, Kysely } from 'kysely';
import type { SealedSecrets } from '../../../crypto/sealed-secrets.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { newId } from '../../../db/ids.js';
import type { Database } from '../../../db/database.js';
import type { Chain } from '../../../db/ordered-connection.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import { auditEventHash, ChainVerifier, describeProblem, type ChainProblem } from './chain.js';
import {
  appendEventStatement,
  chainHead,
  headLockStatement,
  claimNextSeq,
  eventsInOrder,
  eventsOfUser,
  insertEvent,
  type ChainHead,
  type LinkedEvent,
} from './repo.js';

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

type EventFields = Omit<LinkedEvent, 'seq' | 'prev_hash' | 'hash'>;

function chainHeadOf(rows: readonly { last_seq: number; last_hash: string }[]): ChainHead {
  const [row] = rows;
  if (!row) throw new Error('the audit chain head is missing');
  return { seq: row.last_seq, hash: row.last_hash };
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

/** The database as the audit log uses it. */
export type AuditDatabase = Pick<Database, 'db' | 'dialect' | 'transaction' | 'appendInOrder'>;

/**
 * An event to append and the statement that appends it with what it records (PostgreSQL): its
 * rows carry the chain's head and whatever else the statement reads.
 */
export type LinkedStatement<Row extends object = object> = (
  event: LinkedEvent,
) => CompiledQuery<{ last_seq: number; last_hash: string } & Row>;

/**
 * Appends events to the hash chain, lists a person's events, and verifies the chain.
 *
 * On SQLite writes run one at a time in this process, so an append takes the head, computes
 * the event's hash and moves the head on in its transaction. On PostgreSQL each append is one
 * statement (see linkedEventStatement) that appends only if the head is still the one its hash
 * was computed on. This process sends its appends in order on one connection
 * (Database.appendInOrder, OrderedConnection): one sent alone links to where this process's last
 * append left the head, and goes again if another process appended meanwhile; those that arrive
 * together go in one transaction that locks the head first and links each to the one before, so
 * processes that share the chain take turns holding it, each appending a whole group per turn.
 */
export class AuditLog {
  /**
   * PostgreSQL: the head after the last append this process built, for an append in a
   * transaction to try first (if it missed, it learns the head with its lock held).
   */
  #expectedHead: ChainHead | undefined;
  readonly #chain: Chain<ChainHead>;

  constructor(
    private readonly key: Buffer,
    private readonly now: () => Date,
    private readonly database: AuditDatabase,
  ) {
    this.#chain = {
      lock: headLockStatement(database.db),
      linkOf: (rows) => chainHeadOf(rows as { last_seq: number; last_hash: string }[]),
    };
  }

  /**
   * In the caller's transaction, so the event commits with the change it records. The actor,
   * subject (unless the event names another) and origin all come from `actor`, so no event can
   * name one account as actor and another's address as where it came from.
   */
  async record(trx: Kysely<DatabaseSchema>, actor: AuditActor, event: AuditEvent): Promise<void> {
    if (!trx.isTransaction) throw new Error('AuditLog.record needs a transaction');
    const fields = this.eventFields(actor, event);
    if (this.database.dialect === 'sqlite') {
      const { seq, prevHash } = await claimNextSeq(trx);
      await insertEvent(trx, this.linked(fields, { seq: seq - 1, hash: prevHash }));
      return;
    }
    await this.appendInTransaction(trx, fields, (linked) => appendEventStatement(trx, linked));
  }

  /**
   * PostgreSQL: locks the chain's head in the caller's transaction before it writes anything
   * else, so it cannot close a cycle of waits with a group of appends that holds the head and
   * needs a row this transaction wrote. SQLite: nothing to do, writers take turns.
   */
  async lockChain(trx: Kysely<DatabaseSchema>): Promise<void> {
    if (this.database.dialect !== 'postgres') return;
    this.#expectedHead = chainHeadOf((await trx.executeQuery(this.#chain.lock)).rows as never);
  }

  /** An event that records no change of its own (a reveal, a download), committed on its own. */
  async recordAlone(actor: AuditActor, event: AuditEvent): Promise<void> {
    if (this.database.dialect === 'sqlite') {
      await this.database.transaction((trx) => this.record(trx, actor, event));
      return;
    }
    const fields = this.eventFields(actor, event);
    await this.appendInOrder(fields, (linked) => appendEventStatement(this.database.db, linked));
  }

  /**
   * PostgreSQL: the event and the change it records in one statement, committed on its own
   * (`statement` builds it with linkedEventStatement for the event it is given). Answers with
   * the statement's rows, so a read it records (a reveal's password) is read in that statement.
   */
  async recordWithChange<Row extends object>(
    actor: AuditActor,
    event: AuditEvent,
    statement: LinkedStatement<Row>,
  ): Promise<({ last_seq: number; last_hash: string } & Row)[]> {
    if (this.database.dialect !== 'postgres') {
      throw new Error('AuditLog.recordWithChange is for PostgreSQL');
    }
    return this.appendInOrder(this.eventFields(actor, event), statement);
  }

  private eventFields(actor: AuditActor, input: AuditEvent): EventFields {
    return {
      id: newId(),
      at: this.now().toISOString(),
      action: input.action,
      actor_user_id: actor.accountId,
      subject_user_id: input.subjectUserId ?? actor.accountId,
      organisation_id: input.organisationId ?? null,
      ip_address: actor.ipAddress,
      user_agent: actor.userAgent,
      details: JSON.stringify(input.details ?? {}),
    };
  }

  /** The event as it follows `after`, with its hash. */
  private linked(fields: EventFields, after: ChainHead): LinkedEvent {
    const event = { ...fields, seq: after.seq + 1, prev_hash: after.hash };
    return { ...event, hash: auditEventHash(this.key, event) };
  }

  private appendInOrder<Row extends object>(
    fields: EventFields,
    statement: LinkedStatement<Row>,
  ): Promise<({ last_seq: number; last_hash: string } & Row)[]> {
    return this.database.appendInOrder<{ last_seq: number; last_hash: string } & Row, ChainHead>({
      chain: this.#chain,
      build: (after) => {
        const event = this.linked(fields, after);
        const next = { seq: event.seq, hash: event.hash };
        this.#expectedHead = next;
        return { query: statement(event), next };
      },
      landed: (rows, next) => {
        const head = this.#chain.linkOf(rows);
        return head.seq === next.seq && head.hash === next.hash;
      },
    });
  }

  /**
   * In a transaction: the first statement locks the head, so if it missed, the second (linked
   * to the head it answered with) cannot.
   */
  private async appendInTransaction(
    trx: Kysely<DatabaseSchema>,
    fields: EventFields,
    statement: LinkedStatement,
  ): Promise<void> {
    let after = this.#expectedHead ?? { seq: -1, hash: '' };
    for (let attempt = 1; attempt <= 2; attempt++) {
      const event = this.linked(fields, after);
      const head = chainHeadOf((await trx.executeQuery(statement(event))).rows);
      if (head.seq === event.seq && head.hash === event.hash) {
        this.#expectedHead = head;
        return;
      }
      after = head;
    }
    throw new Error('the audit chain head moved while its row was locked');
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
