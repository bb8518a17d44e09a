/**
 * The change log's rules both stores keep: the one shape of a change, checked with zod when it is
 * appended (a malformed one is refused, not stored) and when read back, and the match of a query.
 */
import { z } from 'zod'
import type { ChangeEntry, ChangeQuery, ChangeRecord } from './store.js'

/** How many changes a store keeps unless told otherwise (`changeLogMaxEntries`). */
export const CHANGE_LOG_MAX_ENTRIES = 1000

const user = z.object({ id: z.string(), name: z.string(), avatarUrl: z.string().optional() })

export const changeRecordSchema = z.object({
  atMs: z.number(),
  kind: z.enum(['created', 'updated', 'deleted']),
  resourceId: z.string(),
  recordId: z.string(),
  title: z.string(),
  resourceName: z.string(),
  by: user,
  fields: z.array(z.string()),
})

/** Only the fields of a change (a UserView's too), as a store keeps it; a TypeError names what is wrong. */
export function checkedChange(change: ChangeRecord): ChangeRecord {
  const result = changeRecordSchema.safeParse(change)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new TypeError(`adminjs-collaborator: invalid change${issue ? ` (${issue.path.join('.')}: ${issue.message})` : ''}`)
  }
  const { atMs, kind, resourceId, recordId, title, resourceName, by, fields } = result.data
  return {
    atMs,
    kind,
    resourceId,
    recordId,
    title,
    resourceName,
    by: by.avatarUrl === undefined ? { id: by.id, name: by.name } : { id: by.id, name: by.name, avatarUrl: by.avatarUrl },
    fields: [...fields],
  }
}

export function changeMatches(change: ChangeEntry, { resourceIds }: Pick<ChangeQuery, 'resourceIds'>): boolean {
  return resourceIds.includes(change.resourceId)
}
