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

/**
 * PostgreSQL ended the transaction to break a deadlock (40P01) or a serialization conflict
 * (40001): nothing of it was kept, and running it again is safe.
 */
export function isTransientConflict(error: unknown): boolean {
  if (!(error instanceof Error) || !('code' in error)) return false;
  return error.code === '40P01' || error.code === '40001';
}
