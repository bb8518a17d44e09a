/**
 * The audit trail's one entry point: every lock event (a grant, a release, an expiry, a hand-over, a
 * forced release, a refused save; `AUDIT_KINDS`) is appended to the store's audit log and handed to
 * the user's `onAudit`. Callers do not wait and cannot fail by it: a store that is away, or a
 * callback that throws, is logged and the event is lost, never the lock operation it reports.
 */
import type { RecordRef, UserView } from './protocol.js'
import { recordKey } from './store/keys.js'
import type { AuditEvent, AuditKind, AuditLog } from './store/store.js'

/** An event as a caller reports it: the record as a ref; the time, when not given, is now. */
export interface AuditReport {
  kind: AuditKind
  ref: RecordRef
  /** Whose lock or save it is about. */
  user: UserView
  /** Who made it happen, when that is someone else. */
  by?: UserView
  reason?: string
  atMs?: number
}

/** Appends the event and calls `onAudit`; resolves once both are done, never rejects. */
export type Audit = (report: AuditReport) => Promise<void>

export interface AuditDeps {
  log: () => AuditLog
  onAudit: ((event: AuditEvent) => void | Promise<void>) | undefined
  logger: () => Pick<Console, 'warn'>
}

/** Only the fields the log's schema knows: a UserView from `identify` may carry more. */
const userOf = (user: UserView): UserView => (user.avatarUrl ? { id: user.id, name: user.name, avatarUrl: user.avatarUrl } : { id: user.id, name: user.name })

export function auditEvent(report: AuditReport): AuditEvent {
  const { ref } = report
  return {
    atMs: report.atMs ?? Date.now(),
    kind: report.kind,
    recordKey: recordKey(ref.resourceId, ref.recordId),
    resourceId: ref.resourceId,
    recordId: ref.recordId,
    user: userOf(report.user),
    ...(report.by ? { by: userOf(report.by) } : {}),
    ...(report.reason !== undefined ? { reason: report.reason } : {}),
  }
}

export function createAudit(deps: AuditDeps): Audit {
  return async (report) => {
    const event = auditEvent(report)
    const appended = deps
      .log()
      .append(event)
      .catch((error: unknown) => deps.logger().warn(`adminjs-collaborator: the audit event ${event.kind} of ${event.recordKey} was not stored`, error))
    const told = (async () => {
      if (!deps.onAudit) return
      try {
        await deps.onAudit(event)
      } catch (error) {
        deps.logger().warn('adminjs-collaborator: onAudit failed', error)
      }
    })()
    await Promise.all([appended, told])
  }
}
