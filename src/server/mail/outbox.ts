import type { Kysely } from 'kysely';
import { createTransport, type Transporter } from 'nodemailer';
import { newId } from '../../db/ids.js';
import type { DatabaseSchema } from '../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

/** One rendered message for one person. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailSettings {
  smtpUrl: string;
  from: string;
  /** Where links in mail point: the address people reach Keyhold at. */
  publicUrl: string;
}

/** Delivery attempts before a message is given up; the waits add up to about a day. */
export const maxDeliveryAttempts = 12;
const firstRetryMs = 30_000;
const longestRetryMs = 6 * 60 * 60_000;
/** How long a process may hold a message it is sending before another may try it. */
const claimMs = 2 * 60_000;
/** Checks the outbox this often for retries that fell due and mail other processes queued. */
const pollIntervalMs = 2_000;
const batchSize = 20;
/** Sent messages are kept this long (for the operator), then removed with their contents. */
export const sentMailKeptMs = 7 * 24 * 60 * 60_000;

/** The wait after the `attempts`-th failed attempt: 30 s, doubling, at most 6 hours. */
export function retryDelayMs(attempts: number): number {
  return Math.min(longestRetryMs, firstRetryMs * 2 ** Math.max(0, attempts - 1));
}

export interface DeliveryLog {
  warn(details: Record<string, unknown>, message: string): void;
}

/**
 * The server's email. Services queue rendered messages in the database inside their own
 * transaction (so a message exists exactly when the change it reports committed), and the
 * sender started by jobs.ts delivers them over SMTP, retrying with growing waits. The outbox
 * outlives restarts and is shared by every server process: a process claims a message before
 * sending it. Without an SMTP server configured, nothing is queued.
 */
export class Mail {
  private transport: Transporter | undefined;
  private running = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private log: DeliveryLog | undefined;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
    private readonly settings: MailSettings | undefined,
  ) {}

  get enabled(): boolean {
    return this.settings !== undefined;
  }

  /** An absolute link into the web app (`path` starts with `/`). */
  link(path: string): string {
    if (!this.settings) throw new Error('mail is not configured');
    return new URL(path, this.settings.publicUrl).toString();
  }

  /** Queues the messages in `db` (the caller's transaction); nothing when mail is off. */
  async queue(db: Db, messages: readonly OutgoingMail[]): Promise<void> {
    if (!this.enabled || messages.length === 0) return;
    const at = this.now().toISOString();
    await db
      .insertInto('mail_outbox')
      .values(
        messages.map((message) => ({
          id: newId(),
          recipient: message.to,
          subject: message.subject,
          text_body: message.text,
          html_body: message.html,
          created_at: at,
          next_attempt_at: at,
        })),
      )
      .execute();
    // After the caller's commit, most likely; if not, the next poll finds it.
    setImmediate(() => {
      this.wake();
    });
  }

  /** Starts delivering (jobs.ts); returns how to stop. */
  start(log: DeliveryLog): () => Promise<void> {
    if (!this.settings) return () => Promise.resolve();
    const { smtpUrl } = this.settings;
    this.transport = createTransport({
      url: smtpUrl,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
    });
    this.log = log;
    this.stopped = false;
    this.wake();
    return async () => {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      while (this.running) await new Promise((resolve) => setTimeout(resolve, 20));
      this.transport?.close();
    };
  }

  /** Looks for due mail now (and again after the current pass, if one is running). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.running = true;
    this.deliverDue()
      .catch((error: unknown) => {
        this.log?.warn({ err: error }, 'reading the mail outbox failed');
      })
      .finally(() => {
        this.running = false;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.wake();
          return;
        }
        this.timer = setTimeout(() => {
          this.wake();
        }, pollIntervalMs);
        this.timer.unref();
      });
  }

  private async deliverDue(): Promise<void> {
    for (;;) {
      const now = this.now().toISOString();
      const due = await this.db
        .selectFrom('mail_outbox')
        .select('id')
        .where('sent_at', 'is', null)
        .where('failed_at', 'is', null)
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
        .orderBy('next_attempt_at')
        .limit(batchSize)
        .execute();
      for (const { id } of due) {
        if (this.stopped) return;
        await this.deliver(id);
      }
      if (due.length < batchSize) return;
    }
  }

  /** Claims one message, sends it, and records the outcome. */
  private async deliver(id: string): Promise<void> {
    const settings = this.settings;
    const transport = this.transport;
    if (!settings || !transport) return;
    const now = this.now();
    const at = now.toISOString();
    const claimed = await this.db
      .updateTable('mail_outbox')
      .set((eb) => ({
        claimed_until: new Date(now.getTime() + claimMs).toISOString(),
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', id)
      .where('sent_at', 'is', null)
      .where('failed_at', 'is', null)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', at)]))
      .returning(['recipient', 'subject', 'text_body', 'html_body', 'attempts'])
      .executeTakeFirst();
    if (!claimed) return;
    try {
      await transport.sendMail({
        from: settings.from,
        to: claimed.recipient,
        subject: claimed.subject,
        text: claimed.text_body,
        html: claimed.html_body,
      });
      await this.db
        .updateTable('mail_outbox')
        .set({ sent_at: this.now().toISOString(), claimed_until: null, last_error: null })
        .where('id', '=', id)
        .execute();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const giveUp = claimed.attempts >= maxDeliveryAttempts;
      const failedAt = this.now();
      await this.db
        .updateTable('mail_outbox')
        .set({
          claimed_until: null,
          last_error: reason.slice(0, 500),
          ...(giveUp
            ? { failed_at: failedAt.toISOString() }
            : {
                next_attempt_at: new Date(
                  failedAt.getTime() + retryDelayMs(claimed.attempts),
                ).toISOString(),
              }),
        })
        .where('id', '=', id)
        .execute();
      this.log?.warn(
        { mailId: id, attempts: claimed.attempts, reason },
        giveUp ? 'gave up sending an email' : 'sending an email failed; it will be retried',
      );
    }
  }

  /** Removes sent and given-up messages older than `sentMailKeptMs` (hourly, from jobs.ts). */
  async prune(): Promise<void> {
    const before = new Date(this.now().getTime() - sentMailKeptMs).toISOString();
    await this.db
      .deleteFrom('mail_outbox')
      .where((eb) =>
        eb.or([
          eb.and([eb('sent_at', 'is not', null), eb('sent_at', '<', before)]),
          eb.and([eb('failed_at', 'is not', null), eb('failed_at', '<', before)]),
        ]),
      )
      .execute();
  }
}
