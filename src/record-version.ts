/**
 * The version of a record as stored: a digest of its stored values. Chosen over `updatedAt` or a
 * counter because it needs nothing from the resource (any table, any adapter) and it also changes
 * when the row is written outside the admin (a script, another app), which a counter kept by this
 * package would miss. Two reads of an unchanged row give the same digest.
 */
import { createHash } from 'node:crypto'

/** JSON with object keys sorted, so the digest does not depend on the adapter's key order. */
function stableJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
    return `{${entries.join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

export function recordVersion(params: Record<string, unknown>): string {
  return createHash('sha256').update(stableJson(params)).digest('base64url').slice(0, 22)
}
