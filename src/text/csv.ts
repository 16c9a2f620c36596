/**
 * CSV as spreadsheets read it (RFC 4180, CRLF lines). A text that a spreadsheet would run as a
 * formula (a device named "=HYPERLINK(...)") is prefixed with an apostrophe, so opening an
 * exported file runs nothing.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header line and one line per row, the cells in the order of `columns`. */
export function csvTable<Row>(
  columns: readonly (keyof Row & string)[],
  rows: Iterable<Row>,
): string {
  const lines = [columns.join(',')];
  for (const row of rows) {
    lines.push(columns.map((column) => csvField(row[column] as string | null)).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
