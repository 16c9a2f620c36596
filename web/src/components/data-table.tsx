import type { ReactNode } from 'react';

export interface Column<Row> {
  /** The translated header. On narrow screens, where the header row is hidden, it labels each cell. */
  header: string;
  /**
   * The header is for screen readers only, and narrow screens show no label before the cell:
   * for a column of buttons, whose own text says what they do.
   */
  headerHidden?: boolean;
  cell: (row: Row) => ReactNode;
  /** Extra class on each cell, such as `row-actions` or `number`, which the narrow layout knows. */
  className?: string;
}

/**
 * The table of a list page: the first column heads each row, and below 640 px each row becomes
 * a block whose cells carry their column's header (styles.css, `.key-table`). The caption is for
 * screen readers; the page's heading already says it to sighted readers.
 */
export function DataTable<Row>({
  caption,
  columns,
  rows,
  rowKey,
  empty,
}: {
  caption: string;
  columns: readonly [Column<Row>, ...Column<Row>[]];
  rows: readonly Row[];
  rowKey: (row: Row) => string;
  /** Shown instead of the table when there are no rows; without it an empty table stands. */
  empty?: ReactNode;
}) {
  if (rows.length === 0 && empty !== undefined) {
    return <p className="empty-hint">{empty}</p>;
  }
  const [first, ...rest] = columns;
  return (
    <div className="table-wrap">
      <table className="key-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column.header} scope="col">
                {column.headerHidden ? (
                  <span className="visually-hidden">{column.header}</span>
                ) : (
                  column.header
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              <th scope="row" className={first.className} data-label={first.header}>
                {first.cell(row)}
              </th>
              {rest.map((column) => (
                <td
                  key={column.header}
                  className={column.className}
                  data-label={column.headerHidden ? undefined : column.header}
                >
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
