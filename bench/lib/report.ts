/** The result table: one row per metric, printed aligned and written as JSON. */
export interface Row {
  /** Scenario id, e.g. 'B1'. */
  id: string
  name: string
  metric: string
  value: number | null
  unit: string
  baseline: number | null
  /** value / baseline when both exist. */
  ratio: number | null
  /** e.g. '<= 2.5x echo', '< 50 ms', or '' for a row that only informs. */
  target: string
  /** null: no target, or not measured. */
  met: boolean | null
  note?: string
}

export function ratioOf(value: number | null, baseline: number | null): number | null {
  if (value === null || baseline === null || !Number.isFinite(value) || !Number.isFinite(baseline) || baseline <= 0) return null
  return value / baseline
}

function show(value: number | null, unit: string): string {
  if (value === null || Number.isNaN(value)) return '-'
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2
  const text = Number.isInteger(value) ? String(value) : value.toFixed(digits)
  return unit ? `${text} ${unit}` : text
}

export function formatTable(rows: readonly Row[]): string {
  const header = ['name', 'metric', 'value', 'baseline', 'ratio', 'target', 'met?']
  const lines = rows.map((row) => [
    `${row.id} ${row.name}`,
    row.metric,
    show(row.value, row.unit),
    show(row.baseline, row.unit),
    row.ratio === null ? '-' : `${row.ratio.toFixed(2)}x`,
    row.target || '-',
    row.met === null ? (row.note?.startsWith('not available') ? 'n/a' : '-') : row.met ? 'yes' : 'NO',
  ])
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)))
  const format = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  const out = [format(header), widths.map((width) => '-'.repeat(width)).join('  ')]
  for (const line of lines) out.push(format(line))
  const notes = rows.filter((row) => row.note).map((row) => `  ${row.id} ${row.metric}: ${row.note}`)
  if (notes.length) out.push('', 'notes:', ...notes)
  return out.join('\n')
}
