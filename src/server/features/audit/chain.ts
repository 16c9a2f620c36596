import { hmacSha256Hex } from '../../../crypto/tokens.js';
import type { AuditEventsTable } from '../../../db/schema.js';

/**
 * Each event's hash covers its own fields and the previous event's hash, keyed with the audit
 * chain key (a server secret sealed by the master key). Changing, inserting or deleting an event
 * breaks every later link, and without the master key nobody can compute a fitting new hash.
 */
export function auditEventHash(key: Buffer, event: Omit<AuditEventsTable, 'hash'>): string {
  return hmacSha256Hex(
    key,
    JSON.stringify([
      'keyhold audit v1',
      event.seq,
      event.id,
      event.at,
      event.action,
      event.actor_user_id,
      event.subject_user_id,
      event.organisation_id,
      event.ip_address,
      event.user_agent,
      event.details,
      event.prev_hash,
    ]),
  );
}

export type ChainProblem =
  | { kind: 'changed'; event: AuditEventsTable }
  | { kind: 'missing'; expectedSeq: number; event: AuditEventsTable }
  | { kind: 'relinked'; event: AuditEventsTable }
  | { kind: 'truncated'; headSeq: number; lastSeq: number };

export function describeProblem(problem: ChainProblem): string {
  switch (problem.kind) {
    case 'changed':
      return `event ${problem.event.seq} (${problem.event.action} at ${problem.event.at}, id ${problem.event.id}) was changed: its contents no longer match its hash`;
    case 'missing':
      return `event ${problem.expectedSeq} is missing: the chain jumps to event ${problem.event.seq} (${problem.event.action} at ${problem.event.at})`;
    case 'relinked':
      return `event ${problem.event.seq} (${problem.event.action} at ${problem.event.at}, id ${problem.event.id}) does not link to the event before it`;
    case 'truncated':
      return `the newest events were removed: the chain head records ${problem.headSeq} events, the table ends at event ${problem.lastSeq}`;
  }
}

/** Walks events in order, carrying what the next one must link to. */
export class ChainVerifier {
  private expectedSeq = 1;
  private previousHash = '';

  constructor(private readonly key: Buffer) {}

  get lastSeq(): number {
    return this.expectedSeq - 1;
  }

  get lastHash(): string {
    return this.previousHash;
  }

  /** The first problem with this event, if any. */
  next(event: AuditEventsTable): ChainProblem | undefined {
    if (event.seq !== this.expectedSeq) {
      return { kind: 'missing', expectedSeq: this.expectedSeq, event };
    }
    if (event.prev_hash !== this.previousHash) return { kind: 'relinked', event };
    if (auditEventHash(this.key, event) !== event.hash) return { kind: 'changed', event };
    this.expectedSeq += 1;
    this.previousHash = event.hash;
    return undefined;
  }

  finish(head: { last_seq: number; last_hash: string }): ChainProblem | undefined {
    if (head.last_seq !== this.lastSeq || head.last_hash !== this.previousHash) {
      return { kind: 'truncated', headSeq: head.last_seq, lastSeq: this.lastSeq };
    }
    return undefined;
  }
}
