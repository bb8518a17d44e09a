/**
 * Drafts in localStorage: one per user and record, so they outlive the tab (a closed tab, a lost
 * lock, a reload) but are never offered to another person on a shared browser profile.
 * Storage may be missing, full or hold garbage from an older version: every access is guarded and
 * a draft that does not parse is treated as absent.
 */
import type { ParamChanges, StoredValue } from './record-diff'

export interface Draft extends ParamChanges {
  savedAtMs: number
}

export function draftKey(userId: string, resourceId: string, recordId: string): string {
  return `adminjs-collaborator:draft:${userId}:${resourceId}:${recordId}`
}

function isStoredValue(value: unknown): value is StoredValue {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value)
}

function parseDraft(text: string): Draft | null {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const { savedAtMs, params, removed = [] } = value as Partial<Record<keyof Draft, unknown>>
  if (typeof savedAtMs !== 'number' || typeof params !== 'object' || params === null || Array.isArray(params)) return null
  if (!Array.isArray(removed) || !removed.every((key) => typeof key === 'string')) return null
  if (!Object.values(params).every(isStoredValue)) return null
  return { savedAtMs, params: params as Record<string, StoredValue>, removed: removed as string[] }
}

export function readDraft(key: string): Draft | null {
  try {
    const text = localStorage.getItem(key)
    return text === null ? null : parseDraft(text)
  } catch {
    return null
  }
}

/** False when the browser refused to store it (quota, privacy mode): the caller can say so. */
export function writeDraft(key: string, draft: Draft): boolean {
  try {
    localStorage.setItem(key, JSON.stringify(draft))
    return true
  } catch {
    return false
  }
}

export function removeDraft(key: string): void {
  try {
    localStorage.removeItem(key)
  } catch {
    // Nothing stored can be read back either, so there is nothing left to remove.
  }
}
