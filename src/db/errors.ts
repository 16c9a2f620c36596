/** A unique index refused the row (SQLite: "UNIQUE constraint failed", PostgreSQL: 23505). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ('code' in error && (error.code === '23505' || error.code === 'SQLITE_CONSTRAINT_UNIQUE')) {
    return true;
  }
  return error.message.includes('UNIQUE constraint failed');
}

/** The table does not exist (yet): SQLite "no such table", PostgreSQL 42P01. */
export function isMissingTable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ('code' in error && error.code === '42P01') return true;
  return error.message.includes('no such table');
}
