import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema, FeedbackTable } from '../../../db/schema.js';

type Db = Kysely<DatabaseSchema>;

export async function insertFeedback(db: Db, row: FeedbackTable): Promise<void> {
  await db.insertInto('feedback').values(row).execute();
}

export function latestFeedback(
  db: Db,
  { article, limit }: { article: string | undefined; limit: number },
): Promise<FeedbackTable[]> {
  let query = db.selectFrom('feedback').selectAll();
  if (article !== undefined) query = query.where('article', '=', article);
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export interface ArticleTotals {
  article: string;
  answers: number;
  helpful: number;
  average_language_quality: number | null;
}

/** Totals per article; PostgreSQL returns counts and averages as text, hence the Number(). */
export async function totalsByArticle(db: Db): Promise<ArticleTotals[]> {
  const rows = await db
    .selectFrom('feedback')
    .select([
      'article',
      sql<string | number>`count(*)`.as('answers'),
      sql<string | number>`sum(helpful)`.as('helpful'),
      sql<string | number | null>`avg(language_quality)`.as('average_language_quality'),
    ])
    .groupBy('article')
    .orderBy('article')
    .execute();
  return rows.map((row) => ({
    article: row.article,
    answers: Number(row.answers),
    helpful: Number(row.helpful),
    average_language_quality:
      row.average_language_quality === null ? null : Number(row.average_language_quality),
  }));
}
