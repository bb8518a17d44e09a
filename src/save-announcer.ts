/**
 * `after` hooks: stamp every record a client reads (edit, show, list) with its version, so the
 * edit page submits it back and API clients can send it with their saves; and, after a successful
 * save only, announce it: who saved which version. Announcing is the server's alone; no client can
 * make others reload.
 */
import type { ActionContext, ActionResponse, After } from 'adminjs'
import type { AdminUser } from './options.js'
import { VERSION_PARAM, type RecordRef, type UserView } from './protocol.js'
import { recordVersion } from './record-version.js'
import { writtenFields } from './write-intent.js'

export interface SaveAnnouncerDeps {
  identify: (admin: AdminUser) => UserView
  /**
   * Tells everyone on the record (and remembers the save for stale-save notices); `fields` are the
   * names of the params the save changed, as the write guard found them (see write-intent.ts).
   */
  onSaved: (ref: RecordRef, by: UserView, version: string, fields: string[]) => Promise<void>
  logger: Pick<Console, 'warn'>
}

type RecordJson = { params?: Record<string, unknown> }

/** The stored values as a fresh read gives them: the same input the stale check digests. */
async function storedParams(context: ActionContext): Promise<Record<string, unknown> | null> {
  const id = context.record?.id()
  if (id === undefined) return null
  const fresh = await context.resource.findOne(String(id), context)
  return fresh?.params ?? null
}

/** A record's JSON carries its params object: the digest of what was read, before our field joins it. */
function stamp(record: RecordJson | undefined): void {
  if (record?.params) record.params[VERSION_PARAM] = recordVersion(record.params)
}

export function createSaveAnnouncer(deps: SaveAnnouncerDeps) {
  const edit: After<ActionResponse> = async (response, request, context) => {
    const record = response.record as RecordJson | undefined
    if (!record?.params || !context.record) return response
    if (request.method === 'get') {
      record.params[VERSION_PARAM] = recordVersion(context.record.params)
      return response
    }
    // A refused or failed save announces nothing.
    if ((response.notice as { type?: string } | undefined)?.type !== 'success') return response
    const params = await storedParams(context)
    if (!params) return response
    const version = recordVersion(params)
    record.params[VERSION_PARAM] = version
    const ref = { resourceId: context.resource.decorate().id(), recordId: String(context.record.id()) }
    const by = deps.identify((context.currentAdmin ?? {}) as AdminUser)
    // The save is done; failing to tell others must not turn it into an error for the saver.
    // An edit action that wrote nothing through the guard (an unguarded action) names no field.
    const fields = writtenFields(context, ref.recordId) ?? []
    await deps.onSaved(ref, by, version, fields).catch((error) => deps.logger.warn('adminjs-collaborator: announcing a save failed', error))
    return response
  }

  const show: After<ActionResponse> = async (response) => {
    stamp(response.record as RecordJson | undefined)
    return response
  }

  const list: After<ActionResponse> = async (response) => {
    const records = response.records as RecordJson[] | undefined
    if (Array.isArray(records)) for (const record of records) stamp(record)
    return response
  }

  return { edit, show, list }
}
