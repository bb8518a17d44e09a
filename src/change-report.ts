/**
 * What a write made through the admin changed, as the change feed tells it: the kind, the record's
 * title, and the names of the fields it changed, never their values (a private field's value must
 * not reach a browser; its name says little). Pure: the write guard calls it after each write.
 */
import type { BaseRecord, BaseResource } from 'adminjs'
import type { ChangeRecord } from './store/store.js'
import type { UserView } from './protocol.js'

/**
 * Form inputs turn numbers into strings and nulls into '', and a submitted form's multipart body
 * turns every line break into CRLF (a textarea's "\n" comes back "\r\n"): no change to the user,
 * none here.
 */
function normalized(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (value instanceof Date) return value.toISOString()
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value).replace(/\r\n?/g, '\n')
}

/** The params `written` gives another value than `before` had (flattened, as AdminJS keeps them), sorted. */
export function changedFields(before: Record<string, unknown> | null, written: Record<string, unknown>): string[] {
  return Object.keys(written)
    .filter((key) => normalized(written[key]) !== normalized(before?.[key]))
    .sort()
}

export interface WriteDone {
  kind: ChangeRecord['kind']
  resource: BaseResource
  recordId: string
  by: UserView
  /** The record as read before the write (null for a create). */
  before: BaseRecord | null
  /** What the write was given (none for a delete). */
  written: Record<string, unknown> | null
}

/** The change to tell, from a write that succeeded. */
export function changeOf({ kind, resource, recordId, by, before, written }: WriteDone, atMs = Date.now()): ChangeRecord {
  const decorated = resource.decorate()
  // The title the record has now (a delete: the one it had).
  const after = written ? resource.build({ ...(before?.params ?? {}), ...written }) : before
  let title = recordId
  try {
    title = after?.title() || recordId
  } catch {
    // A title property that cannot be read of these params: the id says which record it is.
  }
  return {
    atMs,
    kind,
    resourceId: decorated.id(),
    recordId,
    title: String(title),
    resourceName: decorated.getResourceName(),
    by,
    fields: kind === 'deleted' || !written ? [] : changedFields(kind === 'created' ? null : (before?.params ?? null), written),
  }
}
