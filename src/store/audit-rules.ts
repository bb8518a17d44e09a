/**
 * The audit log's rules both stores keep: the one shape of an event, checked with zod when it is
 * appended (so that a malformed event is refused, not stored) and when it is read back, and the
 * match of a query.
 */
import { z } from 'zod'
import { AUDIT_KINDS, type AuditEvent, type AuditQuery } from './store.js'

/** How many events a store keeps unless told otherwise (`auditMaxEntries`). */
export const AUDIT_MAX_ENTRIES = 10_000

const user = z.object({ id: z.string(), name: z.string(), avatarUrl: z.string().optional() })

export const auditEventSchema = z.object({
  atMs: z.number(),
  kind: z.enum(AUDIT_KINDS),
  recordKey: z.string(),
  resourceId: z.string(),
  recordId: z.string(),
  user,
  by: user.optional(),
  reason: z.string().optional(),
})

/** Only the fields of an event (a UserView's too), without undefined ones: what a store keeps. */
export function auditFields(event: z.infer<typeof auditEventSchema>): AuditEvent {
  const person = ({ id, name, avatarUrl }: z.infer<typeof user>) => (avatarUrl === undefined ? { id, name } : { id, name, avatarUrl })
  const { atMs, kind, recordKey, resourceId, recordId, by, reason } = event
  return { atMs, kind, recordKey, resourceId, recordId, user: person(event.user), ...(by ? { by: person(by) } : {}), ...(reason === undefined ? {} : { reason }) }
}

/** The event as it is stored, or a TypeError naming what is wrong with it. */
export function checkedAuditEvent(event: AuditEvent): AuditEvent {
  const result = auditEventSchema.safeParse(event)
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new TypeError(`adminjs-collaborator: invalid audit event${issue ? ` (${issue.path.join('.')}: ${issue.message})` : ''}`)
  }
  return auditFields(result.data)
}

export function auditMatches(event: AuditEvent, { recordKey, userId }: Pick<AuditQuery, 'recordKey' | 'userId'>): boolean {
  return (recordKey === undefined || event.recordKey === recordKey) && (userId === undefined || event.user.id === userId || event.by?.id === userId)
}
