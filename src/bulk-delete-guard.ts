/**
 * A bulk delete is refused whole, before any record of it is deleted, when one of its records is
 * held by someone else: AdminJS deletes the records of a batch concurrently, so a refusal of one
 * at the write itself (write-guard.ts, which still guards each of them) would leave the others
 * deleted. This is only that early, whole-batch answer; the guarantee is the write guard's.
 */
import type { Before } from 'adminjs'
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

export function createBulkDeleteGuard(deps: BulkDeleteGuardDeps): Before {
  return async (request, context) => {
    // Only a GET shows the confirmation; any other method (HEAD too) is treated as the delete.
    if (request.method === 'get') return request
    const fromRecords = context.records?.map((record) => String(record.id()))
    const fromQuery = typeof request.query?.recordIds === 'string' ? request.query.recordIds.split(',') : []
    const me = deps.identify((context.currentAdmin ?? {}) as AdminUser)
    const resourceId = context.resource.decorate().id()
    for (const recordId of fromRecords ?? fromQuery) {
      const lease = await deps
        .locks()
        .get(recordKey(resourceId, recordId))
        .catch(() => {
          throw refusal(deps.texts, 'deleteUnavailableText')
        })
      if (lease && lease.user.id !== me.id) throw refusal(deps.texts, 'deleteRefusedText', { editorName: lease.user.name })
    }
    return request
  }
}
