/**
 * A bulk delete is refused whole, before any record of it is deleted, when one of its records is
 * held by someone else: AdminJS deletes the records of a batch concurrently, so a refusal of one
 * at the write itself (write-guard.ts, which still guards each of them) would leave the others
 * deleted. This is only that early, whole-batch answer; the guarantee is the write guard's.
 *
 * The batch's leases are read in one call to the store, and the notice names every held record
 * with its editor: "Nothing was deleted: someone else is editing “Draft” (Alice Martin), “Notes”
 * (Bob Chen)." One held record of a one-record batch is said as a single delete's refusal.
 */
import type { BaseRecord, Before } from 'adminjs'
import type { AdminUser } from './options.js'
import type { UserView } from './protocol.js'
import { refusal } from './refusal.js'
import type { CollaborationTexts } from './texts.js'
import { recordKey } from './store/keys.js'
import type { LockStore } from './store/store.js'

export interface BulkDeleteGuardDeps {
  locks: () => LockStore
  identify: (admin: AdminUser) => UserView
  texts: CollaborationTexts
}

/** The record's title as AdminJS shows it, else its id. */
function titleOf(record: BaseRecord): string {
  try {
    return String(record.title() || record.id())
  } catch {
    return String(record.id())
  }
}

export function createBulkDeleteGuard(deps: BulkDeleteGuardDeps): Before {
  return async (request, context) => {
    // Only a GET shows the confirmation; any other method (HEAD too) is treated as the delete.
    if (request.method === 'get') return request
    const titles = new Map((context.records ?? []).map((record) => [String(record.id()), titleOf(record)]))
    const fromQuery = typeof request.query?.recordIds === 'string' ? request.query.recordIds.split(',') : []
    const recordIds = context.records ? [...titles.keys()] : fromQuery
    const me = deps.identify((context.currentAdmin ?? {}) as AdminUser)
    const resourceId = context.resource.decorate().id()
    const snapshots = await deps
      .locks()
      .readMany(recordIds.map((recordId) => recordKey(resourceId, recordId)))
      .catch(() => {
        throw refusal(deps.texts, 'deleteUnavailableText')
      })
    const held = recordIds.flatMap((recordId, i) => {
      const lease = snapshots[i]?.lease
      return lease && lease.user.id !== me.id ? [{ recordId, editor: lease.user.name }] : []
    })
    if (held.length === 0) return request
    if (recordIds.length === 1) throw refusal(deps.texts, 'deleteRefusedText', { editorName: held[0]!.editor })
    const records = held.map(({ recordId, editor }) => `“${titles.get(recordId) ?? recordId}” (${editor})`).join(', ')
    throw refusal(deps.texts, 'bulkDeleteRefusedText', { records })
  }
}
