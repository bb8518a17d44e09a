/**
 * Server-side enforcement: `before` hooks that refuse, with a clear notice and no write:
 * - an edit, delete or bulk delete from anyone but the lock holder while someone holds the lock;
 * - an edit built from an older version of the record than the one stored (a stale save), which
 *   holds even when the lock was bypassed or lost (Redis down, a lease that expired in a sleeping tab).
 * The browser is never trusted: these run on every HTTP request, whatever the page did.
 *
 * AdminJS turns a ForbiddenError from a before hook into an error notice, writes nothing, and the
 * form merges the (empty) response params into what the user typed, so their input stays.
 */
import { ForbiddenError, type ActionContext, type ActionRequest, type Before } from 'adminjs'
import type { AdminUser } from './options.js'
import { TAB_TOKEN_PARAM, VERSION_PARAM, type UserView } from './protocol.js'
import { recordVersion } from './record-version.js'
import type { CollaborationTexts } from './texts.js'
import { fillText } from './texts.js'
import { recordKey } from './store/keys.js'
import type { LockStore, SaveLog } from './store/store.js'

export interface SaveGuardDeps {
  locks: () => LockStore
  saves: () => SaveLog
  identify: (admin: AdminUser) => UserView
  texts: CollaborationTexts
  /** False for resources with `blockEditing: false`: no lock to check, but stale saves still refused. */
  blockEditing: boolean
}

/** Our two form params, removed from the payload so the database adapter never sees them. */
function takeOurParams(request: ActionRequest): { request: ActionRequest; tabToken?: string; version?: string } {
  const payload = request.payload
  if (!payload || !(TAB_TOKEN_PARAM in payload || VERSION_PARAM in payload)) return { request }
  const { [TAB_TOKEN_PARAM]: tabToken, [VERSION_PARAM]: version, ...rest } = payload
  return {
    request: { ...request, payload: rest },
    tabToken: typeof tabToken === 'string' ? tabToken : undefined,
    version: typeof version === 'string' ? version : undefined,
  }
}

export function createSaveGuard(deps: SaveGuardDeps) {
  /** Throws ForbiddenError when any of the records is held by someone else (or another tab). */
  async function refuseUnlessHolder(resourceId: string, recordIds: string[], context: ActionContext, tabToken?: string): Promise<void> {
    if (!deps.blockEditing) return
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

  /** Throws ForbiddenError when the form was loaded from an older version than the stored record. */
  async function refuseIfStale(context: ActionContext, submittedVersion: string | undefined): Promise<void> {
    // Without a version (an API client, a form not built by the edit page) there is nothing to compare.
    if (submittedVersion === undefined || !context.record) return
    const current = recordVersion(context.record.params)
    if (current === submittedVersion) return
    // Who made the stored version, if it was saved through the admin; the store being away only
    // costs the name, never the refusal.
    const lastSave = await deps
      .saves()
      .lastSave(recordKey(context.resource.id(), String(context.record.id())))
      .catch(() => null)
    const editorName = lastSave?.version === current ? lastSave.userName : deps.texts.staleSaveUnknownEditorText
    throw new ForbiddenError(fillText(deps.texts.staleSaveText, { editorName }))
  }

  const edit: Before = async (incoming, context) => {
    const { request, tabToken, version } = takeOurParams(incoming)
    if (request.method !== 'post') return request
    const recordId = context.record?.id() ?? request.params.recordId
    if (recordId !== undefined) await refuseUnlessHolder(context.resource.id(), [String(recordId)], context, tabToken)
    await refuseIfStale(context, version)
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
