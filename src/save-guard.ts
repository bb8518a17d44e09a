/**
 * Server-side enforcement: `before` hooks on edit, delete and bulk delete that refuse, with a clear
 * notice and no write, a request from anyone but the lock holder while someone holds the lock.
 * The browser is never trusted: these run on every HTTP request, whatever the page did.
 *
 * AdminJS runs a ForbiddenError from a before hook as an error notice, writes nothing, and the
 * form merges the (empty) response params into what the user typed, so their input stays.
 */
import { ForbiddenError, type ActionContext, type ActionRequest, type Before } from 'adminjs'
import type { AdminUser } from './options.js'
import { TAB_TOKEN_PARAM, type UserView } from './protocol.js'
import type { CollaborationTexts } from './texts.js'
import { fillText } from './texts.js'
import { recordKey } from './store/keys.js'
import type { LockStore } from './store/store.js'


export interface SaveGuardDeps {
  locks: () => LockStore
  identify: (admin: AdminUser) => UserView
  texts: CollaborationTexts
}

function withoutTabToken(request: ActionRequest): { request: ActionRequest; tabToken: string | undefined } {
  const payload = request.payload
  if (!payload || !(TAB_TOKEN_PARAM in payload)) return { request, tabToken: undefined }
  const { [TAB_TOKEN_PARAM]: token, ...rest } = payload
  return { request: { ...request, payload: rest }, tabToken: typeof token === 'string' ? token : undefined }
}

export function createSaveGuard(deps: SaveGuardDeps) {
  /** Throws ForbiddenError when any of the records is held by someone else (or another tab). */
  async function refuseUnlessHolder(resourceId: string, recordIds: string[], context: ActionContext, tabToken?: string): Promise<void> {
    const me = deps.identify((context.currentAdmin ?? {}) as AdminUser)
    for (const recordId of recordIds) {
      let lease
      try {
        lease = await deps.locks().get(recordKey(resourceId, recordId))
      } catch {
        // Fail closed: without the store nobody can tell whether someone else is editing.
        throw new ForbiddenError(deps.texts.storeUnavailableText)
      }
      if (!lease) continue
      if (lease.userId !== me.id) throw new ForbiddenError(fillText(deps.texts.saveRefusedText, { editorName: lease.userName }))
      if (tabToken !== undefined && lease.token !== tabToken) throw new ForbiddenError(deps.texts.saveRefusedOtherTabText)
    }
  }

  const edit: Before = async (incoming, context) => {
    const { request, tabToken } = withoutTabToken(incoming)
    if (request.method !== 'post') return request
    const recordId = context.record?.id() ?? request.params.recordId
    if (recordId !== undefined) await refuseUnlessHolder(context.resource.id(), [String(recordId)], context, tabToken)
    return request
  }

  const remove: Before = async (request, context) => {
    if (request.method !== 'post') return request
    const recordId = context.record?.id() ?? request.params.recordId
    if (recordId !== undefined) await refuseUnlessHolder(context.resource.id(), [String(recordId)], context)
    return request
  }

  const bulkRemove: Before = async (request, context) => {
    if (request.method !== 'post') return request
    const fromRecords = context.records?.map((record) => String(record.id()))
    const fromQuery = typeof request.query?.recordIds === 'string' ? request.query.recordIds.split(',') : []
    await refuseUnlessHolder(context.resource.id(), fromRecords ?? fromQuery, context)
    return request
  }

  return { edit, remove, bulkRemove }
}
