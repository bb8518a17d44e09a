/**
 * The version of a record as stored: a digest of its stored values. Chosen over `updatedAt` or a
 * counter because it needs nothing from the resource (any table, any adapter) and it also changes
 * when the row is written outside the admin (a script, another app), which a counter kept by this
 * package would miss. Two reads of an unchanged row give the same digest.
 */
import { createHash } from 'node:crypto'
import { TAB_TOKEN_PARAM, VERSION_PARAM } from './protocol.js'

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

/**
 * The text `recordVersion` digests: stable JSON of the params. Our own fields are left out: a
 * record's params object is the one its JSON carries, where the version is added for the client,
 * and a stray copy must not change the digest.
 */
export function versionJson(params: Record<string, unknown>): string {
  const stored = VERSION_PARAM in params || TAB_TOKEN_PARAM in params ? { ...params } : params
  if (stored !== params) {
    delete stored[VERSION_PARAM]
    delete stored[TAB_TOKEN_PARAM]
  }
  return stableJson(stored)
}

/** The digest of `versionJson(params)`. */
export function versionOfJson(json: string): string {
  return createHash('sha256').update(json).digest('base64url').slice(0, 22)
}

export function recordVersion(params: Record<string, unknown>): string {
  return versionOfJson(versionJson(params))
}
