/**
 * What the user changed in a form, as a small storable value: the params (flattened, as AdminJS
 * keeps them) that differ from the record the form loaded. Pure functions, no React.
 *
 * The collaborator's own params are never part of a change: the version must stay the one of the
 * record the form shows now (or a restored draft would be refused as stale, or worse, accepted as
 * current), and the tab token is added at submit time only.
 */
import { TAB_TOKEN_PARAM, VERSION_PARAM } from '../../src/protocol'

/** A value that survives JSON: what a draft can hold. Files cannot, and are left out. */
export type StoredValue = string | number | boolean | null

export type Params = Record<string, unknown>

export interface ParamChanges {
  /** Keys added or given another value. */
  params: Record<string, StoredValue>
  /** Keys the form removed (an array item deleted, say), so a restore removes them too. */
  removed: string[]
}

const OWN_PARAMS: ReadonlySet<string> = new Set([VERSION_PARAM, TAB_TOKEN_PARAM])

/** Form inputs turn numbers into strings and nulls into '', which is no change to the user. */
function normalized(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function storable(value: unknown): StoredValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (value instanceof Date) return value.toISOString()
  return undefined // File, Blob, objects: not restorable from storage
}

/**
 * `isPrivate` names params that must never be stored (passwords): localStorage is readable by any
 * script of the origin and outlives the session.
 */
export function changedParams(loaded: Params, current: Params, isPrivate: (key: string) => boolean = () => false): ParamChanges {
  const params: Record<string, StoredValue> = {}
  const removed: string[] = []
  for (const [key, value] of Object.entries(current)) {
    if (OWN_PARAMS.has(key) || isPrivate(key) || normalized(value) === normalized(loaded[key])) continue
    const stored = storable(value)
    if (stored !== undefined) params[key] = stored
  }
  for (const key of Object.keys(loaded)) {
    if (!OWN_PARAMS.has(key) && !isPrivate(key) && !(key in current)) removed.push(key)
  }
  return { params, removed }
}

export function hasChanges(changes: ParamChanges): boolean {
  return changes.removed.length > 0 || Object.keys(changes.params).length > 0
}

/** The current params with the changes laid over them; the current version is kept. */
export function applyChanges(current: Params, changes: ParamChanges): Params {
  const merged: Params = { ...current }
  for (const key of changes.removed) delete merged[key]
  for (const [key, value] of Object.entries(changes.params)) {
    if (!OWN_PARAMS.has(key)) merged[key] = value
  }
  if (VERSION_PARAM in current) merged[VERSION_PARAM] = current[VERSION_PARAM]
  return merged
}
