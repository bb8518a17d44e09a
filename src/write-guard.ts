/**
 * The guard at the write itself. Every create, update and delete of a record of a guarded resource
 * goes through the resource's own `create`, `update` and `delete` (AdminJS's new, edit, delete and
 * bulk delete actions, `BaseRecord.update/save/create`, and custom actions that write through the
 * resource or its records), whatever action and HTTP method (HEAD included) led there. So those
 * three methods of the resource instance are wrapped: no hook ordering, action name or method test
 * can let a write pass by accident.
 *
 * Each write, for one record:
 *   1. enters the record's write section in the store (one writer at a time across processes;
 *      entering also reads the lease and the restart-quiet time, in the same step);
 *   2. refuses unless the writer may write: nobody else (no other user, no other tab) holds the
 *      record, and during the quiet period after Redis came back empty only a re-asserted holder;
 *   3. re-reads the record from the resource and refuses unless it still is the version the change
 *      was built from (the one the client sent, else the one the action loaded);
 *   4. writes, and leaves the section (which also ends by itself after WRITE_SECTION_TTL_MS, so a
 *      writer that crashed inside frees it).
 *
 * A refusal is a ForbiddenError: AdminJS answers it with an error notice and empties the record in
 * the response, so the form keeps what the user typed. It carries its text's key and parameters,
 * so the page says it in the admin's language (refusal.ts).
 *
 * What this cannot see: code that writes to the database without the resource (the ORM directly,
 * SQL). Such a change still makes every version built before it stale.
 *
 * Its after side: a write of an admin's (an action's context with a logged-in admin) that succeeded
 * is reported to `onWritten` (the change feed) with what it changed (change-report.ts), creates
 * whose id the database picks included. Server code without an admin, and actions the resource
 * lists in `unguardedActions`, are not reported.
 */
import { type ActionContext, type BaseRecord, type BaseResource } from 'adminjs'
import type { AdminUser } from './options.js'
import { VERSION_PARAM, type UserView } from './protocol.js'
import { recordVersion } from './record-version.js'
import { refusal } from './refusal.js'
import type { CollaborationTexts } from './texts.js'
import { recordKey } from './store/keys.js'
import { StoreUnavailableError, type Lease, type SaveLog, type WriteEntry, type WriteSections } from './store/store.js'
import { intentOf, loadedVersion, noteLoaded, noteWritten, takeOurFields } from './write-intent.js'
import type { Audit } from './audit.js'
import { changedFields, changeOf } from './change-report.js'
import type { ChangeRecord } from './store/store.js'

/** A writer inside for longer than this (crashed, stalled) no longer keeps others out. */
export const WRITE_SECTION_TTL_MS = 10_000
/** How long a write waits for another writer of the same record to leave before it is refused. */
export const WRITE_WAIT_MS = 3_000

export interface WriteGuardDeps {
  writes: () => WriteSections
  saves: () => SaveLog
  identify: (admin: AdminUser) => UserView
  texts: CollaborationTexts
  /** False: no lock to respect (presence only); versions are still checked, atomically. */
  blockEditing: boolean
  /** An update whose request sent fields must say which version they were built from. */
  requireVersion: boolean
  /** Actions whose writes skip the guard altogether (the resource marked them so). */
  unguardedActions: ReadonlySet<string>
  logger: Pick<Console, 'warn'>
  /** Reports refused saves to the audit trail (save-refused-held, save-refused-stale). */
  audit?: Audit
  /** A write of an admin's succeeded (the change feed). Must not throw; it is not awaited. */
  onWritten?: (change: ChangeRecord) => void
}

type Kind = 'save' | 'create' | 'delete'

interface Write {
  kind: Kind
  recordId: string
  context: ActionContext | undefined
  /**
   * The version the change was built from; undefined: nothing to compare (server code, a create);
   * MISSING: the client should have said and did not (refused once the holder check has spoken, as
   * "someone else edits" is the more useful answer).
   */
  builtFrom: string | typeof MISSING | undefined
  tabToken: string | undefined
  /** The params it writes (a save, a create), for the change feed. */
  written?: Record<string, unknown>
}

type Resource = BaseResource & { [GUARDED]?: true }
const GUARDED = Symbol('adminjs-collaborator guarded')
const MISSING = Symbol('version missing')

const waitFor = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function createWriteGuard(deps: WriteGuardDeps) {
  const texts = deps.texts
  const say = {
    unavailable: (kind: Kind) => refusal(texts, kind === 'delete' ? 'deleteUnavailableText' : 'storeUnavailableText'),
    busy: (kind: Kind) => refusal(texts, kind === 'delete' ? 'deleteBusyText' : 'saveBusyText'),
    quiet: (kind: Kind) => refusal(texts, kind === 'delete' ? 'deleteQuietText' : 'saveQuietText'),
    held: (kind: Kind, lease: Lease) => refusal(texts, kind === 'delete' ? 'deleteRefusedText' : 'saveRefusedText', { editorName: lease.user.name }),
    otherTab: (kind: Kind) => refusal(texts, kind === 'delete' ? 'deleteRefusedOtherTabText' : 'saveRefusedOtherTabText'),
    // Without a name the text itself says "someone", in the admin's language.
    stale: (kind: Kind, editorName: string | null) =>
      editorName === null
        ? refusal(texts, kind === 'delete' ? 'deleteStaleByUnknownText' : 'staleSaveByUnknownText')
        : refusal(texts, kind === 'delete' ? 'deleteStaleText' : 'staleSaveText', { editorName }),
  }

  /**
   * Enters the record's section, waiting for a writer inside to leave (a save takes milliseconds;
   * the wait is bounded, and polled because nothing announces a section's end across processes).
   */
  async function enter(key: string, kind: Kind): Promise<Extract<WriteEntry, { entered: true }>> {
    const deadline = Date.now() + WRITE_WAIT_MS
    for (;;) {
      let entry: WriteEntry
      try {
        entry = await deps.writes().enter(key, WRITE_SECTION_TTL_MS)
      } catch (error) {
        // Fail closed: without the store nobody can tell who edits, nor keep two writers apart.
        if (error instanceof StoreUnavailableError) throw say.unavailable(kind)
        throw error
      }
      if (entry.entered) return entry
      if (Date.now() + 1 > deadline) throw say.busy(kind)
      await waitFor(Math.min(entry.retryInMs, 20 + Math.random() * 30, Math.max(1, deadline - Date.now())))
    }
  }

  /** Who writes: the logged-in admin of the action, or nobody (server code without a context). */
  function writer(context: ActionContext | undefined): UserView | null {
    return context?.currentAdmin ? deps.identify(context.currentAdmin as AdminUser) : null
  }

  /** A refused write of someone's, for the audit trail; writes by server code (no admin) are not. */
  function reportRefusal(kind: 'save-refused-held' | 'save-refused-stale', resourceId: string, write: Write, reason: string, by?: UserView): void {
    const me = writer(write.context)
    if (!deps.audit || !me) return
    void deps.audit({ kind, ref: { resourceId, recordId: write.recordId }, user: me, ...(by ? { by } : {}), reason: `${write.kind}: ${reason}` })
  }

  function refuseUnlessMayWrite(entry: Extract<WriteEntry, { entered: true }>, write: Write, resourceId: string): void {
    if (!deps.blockEditing) return
    const me = writer(write.context)
    const { lease } = entry
    if (lease) {
      if (!me || lease.user.id !== me.id) {
        reportRefusal('save-refused-held', resourceId, write, 'held', lease.user)
        throw say.held(write.kind, lease)
      }
      // No tab token (an API client of the holder's own) passes; another tab's token does not.
      if (write.tabToken !== undefined && lease.token !== write.tabToken) {
        reportRefusal('save-refused-held', resourceId, write, 'other-tab')
        throw say.otherTab(write.kind)
      }
      return
    }
    // Redis came back empty: a free record may still be edited by someone whose lease is not back yet.
    if (entry.quietMs > 0 && write.kind !== 'create') throw say.quiet(write.kind)
  }

  async function staleAuthor(key: string, current: string): Promise<string | null> {
    // The store being away only costs the name, never the refusal.
    const lastSave = await deps
      .saves()
      .lastSave(key)
      .catch(() => null)
    return lastSave?.version === current ? lastSave.user.name : null
  }

  const KINDS = { save: 'updated', create: 'created', delete: 'deleted' } as const

  /** The after side: an admin's write that succeeded, to the change feed. */
  function reportWrite(resource: BaseResource, write: Write, before: BaseRecord | null): void {
    const by = writer(write.context)
    if (!deps.onWritten || !by) return
    try {
      deps.onWritten(changeOf({ kind: KINDS[write.kind], resource, recordId: write.recordId, by, before, written: write.written ?? null }))
    } catch (error) {
      deps.logger.warn('adminjs-collaborator: reporting a write to the change feed failed', error)
    }
  }

  /** Steps 1 to 4 above, around `perform` (the resource's own method). */
  async function guarded<T>(resource: Resource, write: Write, reread: () => Promise<BaseRecord | null>, perform: () => Promise<T>): Promise<T> {
    // The id as the URL and the sockets name the resource (its options' id), not the adapter's.
    const resourceId = resource.decorate().id()
    const key = recordKey(resourceId, write.recordId)
    const entry = await enter(key, write.kind)
    try {
      refuseUnlessMayWrite(entry, write, resourceId)
      if (write.builtFrom === MISSING) throw refusal(texts, 'saveVersionMissingText', { field: VERSION_PARAM })
      const current = await reread()
      if (write.kind === 'create') {
        if (current) throw entry.lease ? say.held('save', entry.lease) : refusal(texts, 'createExistsText')
      } else if (current && write.builtFrom !== undefined) {
        const version = recordVersion(current.params)
        if (version !== write.builtFrom) {
          reportRefusal('save-refused-stale', resourceId, write, 'stale')
          throw say.stale(write.kind, await staleAuthor(key, version))
        }
      }
      const result = await perform()
      // For the save announcer's `record:saved` ("Bob changed Title"), whether or not the feed is on.
      if (write.kind === 'save' && write.written) noteWritten(write.context, write.recordId, changedFields(current?.params ?? null, write.written))
      reportWrite(resource, write, current)
      return result
    } finally {
      const left = await deps
        .writes()
        .leave(key, entry.fence)
        .catch(() => true)
      if (!left) deps.logger.warn(`adminjs-collaborator: a write of ${key} took longer than its ${WRITE_SECTION_TTL_MS} ms write section`)
    }
  }

  const unguarded = (context: ActionContext | undefined) => context?.action?.name !== undefined && deps.unguardedActions.has(context.action.name)

  /** The version an update or delete was built from, or MISSING when an update must say and did not. */
  function builtFrom(kind: 'save' | 'delete', recordId: string, context: ActionContext | undefined, sent: string | undefined): Write['builtFrom'] {
    const intent = intentOf(context)
    const said = sent ?? intent?.version
    if (said !== undefined) return said
    if (kind === 'save' && deps.requireVersion && intent?.sentFields) return MISSING
    // No client-built change (a button action, a delete): what the action itself loaded.
    return loadedVersion(context, recordId)
  }

  /** Wraps the resource instance's write methods (and notes the versions its reads return). Idempotent. */
  function guardResource(target: BaseResource): void {
    const resource = target as Resource
    if (resource[GUARDED]) return
    resource[GUARDED] = true
    const original = {
      findOne: resource.findOne.bind(resource),
      findMany: resource.findMany.bind(resource),
      create: resource.create.bind(resource),
      update: resource.update.bind(resource),
      delete: resource.delete.bind(resource),
    }
    const idPath = () =>
      resource
        .properties()
        .find((property) => property.isId())
        ?.path() ?? 'id'

    // Versions are noted for an action's reads only (a context): the socket's record lookups and
    // other server code would digest every record read for nothing.
    resource.findOne = async (id, context) => {
      const record = await original.findOne(id, context)
      if (record && context) noteLoaded(context, String(id), recordVersion(record.params))
      return record
    }
    resource.findMany = async (ids, context) => {
      const records = await original.findMany(ids, context)
      if (context) for (const record of records) noteLoaded(context, String(record.id()), recordVersion(record.params))
      return records
    }

    resource.update = async (id, params, context) => {
      const ours = takeOurFields(params)
      if (unguarded(context)) return original.update(id, ours.params, context)
      const recordId = String(id)
      const write: Write = {
        kind: 'save',
        recordId,
        context,
        builtFrom: builtFrom('save', recordId, context, ours.version),
        tabToken: ours.tabToken ?? intentOf(context)?.tabToken,
        written: ours.params,
      }
      return guarded(
        resource,
        write,
        () => original.findOne(recordId),
        () => original.update(id, ours.params, context),
      )
    }

    resource.delete = async (id, context) => {
      if (unguarded(context)) return original.delete(id, context)
      const recordId = String(id)
      const write: Write = { kind: 'delete', recordId, context, builtFrom: builtFrom('delete', recordId, context, undefined), tabToken: intentOf(context)?.tabToken }
      return guarded(
        resource,
        write,
        () => original.findOne(recordId),
        () => original.delete(id, context),
      )
    }

    resource.create = async (params, context) => {
      const ours = takeOurFields(params)
      if (unguarded(context)) return original.create(ours.params, context)
      const id = ours.params[idPath()]
      // Without an id the database picks a new one: nobody can hold or have written it yet.
      if (id === undefined || id === null || id === '') {
        const created = await original.create(ours.params, context)
        const newId = created?.[idPath()]
        if (newId !== undefined && newId !== null)
          reportWrite(resource, { kind: 'create', recordId: String(newId), context, builtFrom: undefined, tabToken: undefined, written: { ...ours.params, ...created } }, null)
        return created
      }
      const write: Write = {
        kind: 'create',
        recordId: String(id),
        context,
        builtFrom: undefined,
        tabToken: ours.tabToken ?? intentOf(context)?.tabToken,
        written: ours.params,
      }
      // Some adapters (TypeORM's save) turn a create with an existing id into an overwrite.
      return guarded(
        resource,
        write,
        () => original.findOne(String(id)),
        () => original.create(ours.params, context),
      )
    }
  }

  return { guardResource }
}
