/**
 * Tells whether tables may have changed since an earlier moment, without reading them: what this
 * process wrote is counted as each writing statement runs, and what other processes committed
 * shows in SQLite's `data_version`. Caches of small, hot tables (who is signed in) use it to skip
 * their queries while nothing changed.
 */
export class TableChanges {
  /** Writes this process ran per table; `*` counts writes whose table is not known. */
  readonly #versions = new Map<string, number>();

  /** Called before a writing statement runs (a rolled-back write only costs a cache refill). */
  noteWrite(table: string): void {
    this.#versions.set(table, (this.#versions.get(table) ?? 0) + 1);
  }

  /** A value that differs from an earlier one whenever one of `tables` may have changed since. */
  stamp(tables: readonly string[], otherProcessesVersion: number): string {
    const parts = [otherProcessesVersion, this.#versions.get('*') ?? 0];
    for (const table of tables) parts.push(this.#versions.get(table) ?? 0);
    return parts.join(':');
  }
}

const statementsThatKeepData =
  /^\s*(select|pragma|begin|commit|rollback|savepoint|release|explain)\b/i;
const writeTarget =
  /^\s*(?:insert\s+(?:or\s+\w+\s+)?into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)\s+"?([A-Za-z_]\w*)"?/i;

/**
 * The table a statement writes: undefined for one that writes nothing, `*` for one that may
 * write anywhere (schema changes, statements this cannot read).
 */
export function tableWrittenBy(sqlText: string): string | undefined {
  const target = writeTarget.exec(sqlText)?.[1];
  if (target !== undefined) return target;
  if (statementsThatKeepData.test(sqlText)) return undefined;
  if (/^\s*with\b/i.test(sqlText) && !/\b(insert|update|delete|replace)\b/i.test(sqlText)) {
    return undefined;
  }
  return '*';
}

const anyWriteTarget = /\b(?:insert\s+into|update|delete\s+from)\s+"?([A-Za-z_]\w*)"?/gi;

/**
 * Every table a statement writes, reading the data-modifying parts of a `with` statement too
 * (PostgreSQL writes several tables in one such statement); `*` when it may write anywhere.
 */
export function tablesWrittenBy(sqlText: string): string[] {
  if (!/^\s*with\b/i.test(sqlText)) {
    const table = tableWrittenBy(sqlText);
    return table === undefined ? [] : [table];
  }
  return [...new Set(Array.from(sqlText.matchAll(anyWriteTarget), (match) => match[1] ?? '*'))];
}
