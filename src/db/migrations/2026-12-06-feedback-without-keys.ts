import type { Kysely } from 'kysely';
import { redactRecoveryPasswords } from '../../bitlocker/recovery-password.js';

interface FeedbackComments {
  feedback: { id: string; comment: string | null };
}

/**
 * Feedback comments stored before the form removed recovery keys may still hold one: they are
 * cleaned the same way new comments are. A migration runs once, in its own transaction.
 */
export async function up(untyped: Kysely<unknown>): Promise<void> {
  const db = untyped as Kysely<FeedbackComments>;
  const rows = await db
    .selectFrom('feedback')
    .select(['id', 'comment'])
    .where('comment', 'is not', null)
    .execute();
  for (const row of rows) {
    const { text, redacted } = redactRecoveryPasswords(row.comment ?? '');
    if (redacted > 0) {
      await db.updateTable('feedback').set({ comment: text }).where('id', '=', row.id).execute();
    }
  }
}
