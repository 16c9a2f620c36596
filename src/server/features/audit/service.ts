import { randomBytes } from 'node:crypto';
import type { CompiledQuery, Kysely } from 'kysely';
import type { SealedSecrets } from '../../../crypto/sealed-secrets.js';
import { isUniqueViolation } from '../../../db/errors.js';
import { newId } from '../../../db/ids.js';
import type { Database } from '../../../db/database.js';
import type { DatabaseSchema } from '../../../db/schema.js';
import { auditEventHash, ChainVerifier, describeProblem, type ChainProblem } from './chain.js';
import {
  appendEventStatement,
  chainHead,
  headStatement,
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
export type AuditDatabase = Pick<Database, 'db' | 'dialect' | 'transaction' | 'sendInOrder'>;

/** An event to append and the statement that appends it with what it records (PostgreSQL). */
export type LinkedStatement = (event: LinkedEvent) => CompiledQuery<{
  last_seq: number;
  last_hash: string;
}>;

/** Times one append is sent on the ordered connection before it takes the head's lock instead. */
const orderedAttempts = 3;

/**
 * Appends events to the hash chain, lists a person's events, and verifies the chain.
 *
 * On SQLite writes run one at a time in this process, so an append takes the head, computes
 * the event's hash and moves the head on in its transaction. On PostgreSQL each append is one
 * statement (see linkedEventStatement): the hash is computed beforehand against the head this
 * process expects, and the statement appends only if the head is still that one. This process
 * sends its appends in order on one connection (Database.sendInOrder) and expects each to link
 * to the one it sent before, so appends do not wait for each other's replies; when another
 * process moved the head meanwhile, the statement answers with the head to link to instead.
 */
export class AuditLog {
  /** PostgreSQL: the head after the last append this process sent, if it is known. */
  #expectedHead: ChainHead | undefined;
  /** Counts corrections of #expectedHead, so only the first append to miss it corrects it. */
  #expectation = 0;

  constructor(
    private readonly key: Buffer,
    private readonly now: () => Date,
    private readonly database: AuditDatabase,
  ) {}

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
   * (`statement` builds it with linkedEventStatement for the event it is given).
   */
  async recordWithChange(
    actor: AuditActor,
    event: AuditEvent,
    statement: LinkedStatement,
  ): Promise<void> {
    if (this.database.dialect !== 'postgres') {
      throw new Error('AuditLog.recordWithChange is for PostgreSQL');
    }
    await this.appendInOrder(this.eventFields(actor, event), statement);
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

  private async appendInOrder(fields: EventFields, statement: LinkedStatement): Promise<void> {
    for (let attempt = 1; attempt <= orderedAttempts; attempt++) {
      while (!this.#expectedHead) {
        const head = chainHeadOf(await this.database.sendInOrder(headStatement(this.database.db)));
        this.#expectedHead ??= head;
      }
      const expectation = this.#expectation;
      const event = this.linked(fields, this.#expectedHead);
      this.#expectedHead = { seq: event.seq, hash: event.hash };
      let head: ChainHead;
      try {
        head = chainHeadOf(await this.database.sendInOrder(statement(event)));
      } catch (error) {
        // Whether it was appended is unknown (a lost connection): read the head before the next.
        if (expectation === this.#expectation) {
          this.#expectation += 1;
          this.#expectedHead = undefined;
        }
        throw error;
      }
      if (head.seq === event.seq && head.hash === event.hash) return;
      // Another process appended meanwhile (or an append sent before this one failed): the
      // appends sent after this one link to it and miss too; they are sent again after it.
      if (expectation === this.#expectation) {
        this.#expectation += 1;
        this.#expectedHead = head;
      }
    }
    // Still missing while other processes append: hold the head's lock until it is this one's.
    await this.database.transaction((trx) => this.appendInTransaction(trx, fields, statement));
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
        // Appends sent in order from now on link to this one: it commits before they get the lock.
        this.#expectation += 1;
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
