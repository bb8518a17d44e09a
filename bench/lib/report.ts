/** The result table: one row per metric, printed aligned and written as JSON. */
export interface Row {
  /** Scenario id, e.g. 'B1'. */
  id: string
  name: string
  metric: string
  value: number | null
  unit: string
  /**
   * The same measurement of something that does the least any server could (a bare Socket.IO
   * server, an event our server has no handler for), measured in the same run; null: none.
   */
  floor: number | null
  /** value / floor when both exist. */
  ratio: number | null
  /** e.g. '<= 1.2x floor', '< 50 ms', or '' for a row that only informs. */
  target: string
  /** null: no target, or not measured. */
  met: boolean | null
  note?: string
  /**
   * The row of the performance table (issue 12) this row answers, e.g. 'claim p50 back to back';
   * such rows are printed again, in the order of `HEADLINES`, as the summary under the table.
   */
  headline?: string
  /** How the value reads when it is not a number (a yes/no row): printed instead of the value. */
  text?: string
}

/** The rows of the performance table, in its order; a scenario names its row with one of these. */
export const HEADLINES = [
  'tab close: viewer editable',
  'tab reload: still editor',
  'claim p50 back to back',
  'claim p50 after 100 ms idle',
  'claim p99 after 100 ms idle',
  'claim p50 back to back vs its script + session read',
  'claim p50 after idle vs its script + session read',
  '50 tabs at once: editor known p50',
  '50 tabs at once: editor known p99',
  'join seen by 100 viewers p50',
  'join seen by 100 viewers p99',
  'Redis round trips per grant, on the path',
  'Redis commands per grant, after the ack',
  'heap per idle socket at 10,000',
  '4,000 tabs at once: last knows',
  'chat to 100 viewers p50',
  'chat to 100 viewers p99',
  'chat to 100 viewers p50 vs stored and published',
  'change to 1,000 admins on 2 processes p50',
  'change to 1,000 admins on 2 processes p99',
  'claim p50, 40,000 sockets on 4 processes',
  'claim p99, 40,000 sockets on 4 processes',
  'chat to a record of 10 on 4 processes p50',
  'chat to a record of 10 on 4 processes p99',
  'claim p50 back to back on a Redis Cluster of 3',
  'claim p99 back to back on a Redis Cluster of 3',
  'claim p50 after 100 ms idle on a Redis Cluster of 3',
  'claim p99 after 100 ms idle on a Redis Cluster of 3',
] as const
export type Headline = (typeof HEADLINES)[number]

export function ratioOf(value: number | null, floor: number | null): number | null {
  if (value === null || floor === null || !Number.isFinite(value) || !Number.isFinite(floor) || floor <= 0) return null
  return value / floor
}

function show(value: number | null, unit: string): string {
  if (value === null || Number.isNaN(value)) return '-'
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2
  const text = Number.isInteger(value) ? String(value) : value.toFixed(digits)
  return unit ? `${text} ${unit}` : text
}

function met(row: Row): string {
  if (row.met === null) return row.note?.startsWith('not available') ? 'n/a' : '-'
  return row.met ? 'yes' : 'NO'
}

function align(header: string[], lines: string[][]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)))
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  return [format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(format)]
}

function cells(row: Row): string[] {
  return [row.text ?? show(row.value, row.unit), show(row.floor, row.unit), row.ratio === null ? '-' : `${row.ratio.toFixed(2)}x`, row.target || '-', met(row)]
}

export function formatTable(rows: readonly Row[]): string {
  const out = align(
    ['name', 'metric', 'value', 'floor', 'ratio', 'target', 'met?'],
    rows.map((row) => [`${row.id} ${row.name}`, row.metric, ...cells(row)]),
  )
  const notes = rows.filter((row) => row.note).map((row) => `  ${row.id} ${row.metric}: ${row.note}`)
  if (notes.length) out.push('', 'notes:', ...notes)
  return out.join('\n')
}

/** The performance table's rows (those with a headline), in its order: what the README shows. */
export function formatSummary(rows: readonly Row[]): string {
  const picked = HEADLINES.flatMap((headline) => rows.filter((row) => row.headline === headline))
  if (!picked.length) return ''
  return align(
    ['performance table', 'id', 'value', 'floor', 'ratio', 'target', 'met?'],
    picked.map((row) => [row.headline!, row.id, ...cells(row)]),
  ).join('\n')
}
