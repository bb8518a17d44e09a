/**
 * The locks page's events: `locks:watch` (the held records now, then `locks:snapshot` whenever they
 * change), `locks:release` (end one, one's own or with `canForceRelease`) and `audit:list`.
 *
 * Live across processes by polling, not by events: a process with at least one watching socket
 * reads the lock index (`locks.list()`, one sorted set), each listed record's presence and line,
 * every LOCKS_POLL_MS, and sends each watcher its view only when it changed. A lock change on
 * this process refreshes at once (`locksChanged`); a change on another process shows within a poll.
 * Lock events of other processes would need every process to hear every lock change of the
 * cluster (one more broadcast through Redis per grant and release, watched or not); the poll costs
 * nothing while nobody watches, and one shared read per process while someone does.
 *
 * Permissions, on the server: a watcher sees the rows of resources whose `show` AdminJS lets them
 * run on the record (`isAccessible`), every holder's only with `canViewLocks` (else their own);
 * a release needs the lease to be one's own, or `canForceRelease`. A forced release tells the
 * record's room who ended it (`lock:ended`) before the state that frees it, and tells the holder's
 * process to stop renewing the lease (it would re-assert it otherwise).
 */
import type { BaseRecord, BaseResource } from 'adminjs'
import { ErrorCode, type AuditEntryView, type LockRow, type LocksScope, type LocksSnapshot, type RecordRef, type UserView } from '../protocol.js'
import type { AdminUser } from '../options.js'
import { parseRecordKey, recordKey, recordRoom } from '../store/keys.js'
import type { Lease, ListedLease } from '../store/store.js'
import { AckFailure } from './ack-failure.js'
import type { CollabSocket, ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import { announceLock } from './lock.handlers.js'
import { auditListSchema, lockReleaseSchema, locksUnwatchSchema, locksWatchSchema } from './validation.js'

/** How often a process with watchers reads the locks (a change on another process shows within this). */
export const LOCKS_POLL_MS = 1000
/** A local lock change is read this long after it, so that a burst of changes costs one read. */
const LOCAL_CHANGE_DELAY_MS = 50
/** Sent between processes: a lease was ended by force; its holder's process stops renewing it. */
const FORCED_EVENT = 'collaborator:lock-forced'

interface Watcher {
  socket: CollabSocket
  scope: LocksScope
  canViewAll: boolean
  /** The last rows sent, as JSON: nothing is sent while they stay the same. */
  sent: string
  /** Per record key and fence: may see the row, may release it (asked once per lease). */
  allowed: Map<string, Promise<{ see: boolean; release: boolean }>>
}

/** One record as read, before any watcher's permissions: held (a lease) or only viewed. */
interface ReadRow {
  key: string
  ref: RecordRef
  lease: Lease | null
  viewers: UserView[]
  queueLength: number
  found: { resource: BaseResource; record: BaseRecord | null } | null
}

export interface LocksPage {
  /** A lock changed on this process: the watchers hear of it at once. */
  locksChanged(): void
  close(): void
}

function findResource(ctx: ServerContext, resourceId: string): BaseResource | null {
  try {
    return ctx.admin.findResource(resourceId)
  } catch {
    return null
  }
}

/** Whether AdminJS lets this admin show the record (or, unread, list the resource). */
async function maySee(admin: AdminUser, resource: BaseResource, record: BaseRecord | null): Promise<boolean> {
  const actions = resource.decorate().actions
  const action = record ? actions.show : actions.list
  try {
    return action ? await action.isAccessible(admin as never, record ?? undefined) : false
  } catch {
    return false
  }
}

/** Socket.IO's events between server processes (untyped here: CollabServer declares none). */
function serverSide(ctx: ServerContext) {
  return ctx.io as unknown as { serverSideEmit(event: string, ...args: unknown[]): void; on(event: string, listener: (...args: unknown[]) => void): void }
}

/**
 * No process renews this tab's lease any more: this one at once, the others when they hear it
 * (Socket.IO's server-side events, through the cluster adapter; a memory store has no other
 * process). For any lease ended by someone other than its holder's process (a forced release; a
 * take-over by policy may use it too), whose keeper would otherwise re-assert it as lost.
 */
export function stopRenewingEverywhere(ctx: ServerContext, key: string, token: string): void {
  ctx.keeper.forget(key, token)
  if (ctx.store.kind === 'redis') serverSide(ctx).serverSideEmit(FORCED_EVENT, key, token)
}

export function registerLocksPage(ctx: ServerContext, router: EventRouter): LocksPage {
  const watchers = new Map<string, Watcher>()
  /** Records' looked-up rows by key and fence: a title is read once per lease. */
  let records = new Map<string, Promise<ReadRow['found']>>()
  let timer: NodeJS.Timeout | undefined
  let soon: NodeJS.Timeout | undefined
  let reading: Promise<void> | undefined
  let readAgain = false

  /** A row's identity for what is read once per lease (its title, a watcher's permissions); a viewed record's is its own. */
  const leaseId = (key: string, lease: Lease | null) => `${key}#${lease ? lease.fence : 'viewed'}`

  const lookUp = (key: string, ref: RecordRef, lease: Lease | null, next: Map<string, Promise<ReadRow['found']>>) => {
    const id = leaseId(key, lease)
    let found = records.get(id)
    if (!found) {
      found = (async () => {
        const resource = findResource(ctx, ref.resourceId)
        if (!resource) return null
        const record = await resource.findOne(ref.recordId).catch(() => null)
        return { resource, record }
      })()
    }
    next.set(id, found)
    return found
  }

  /** Held records (oldest grant first), then records only viewed (by key): a viewed one without anyone on it any more is left out. */
  async function readRows(): Promise<ReadRow[]> {
    const [listed, indexed]: [ListedLease[], string[]] = await Promise.all([ctx.store.locks.list(), ctx.store.presence.indexed()])
    const held = new Set(listed.map(({ recordKey: key }) => key))
    const viewed = indexed.filter((key) => !held.has(key)).sort()
    const next = new Map<string, Promise<ReadRow['found']>>()
    const candidates: Array<{ recordKey: string; lease: Lease | null }> = [...listed, ...viewed.map((recordKey) => ({ recordKey, lease: null }))]
    const rows = await Promise.all(
      candidates.map(async ({ recordKey: key, lease }): Promise<ReadRow | null> => {
        const ref = parseRecordKey(key)
        if (!ref) return null
        const [presence, queue] = await Promise.all([ctx.store.presence.list(key), ctx.store.queue.list(key)])
        if (!lease && presence.entries.length === 0) return null
        const seen = new Set(lease ? [lease.user.id] : [])
        const viewers: UserView[] = []
        for (const entry of presence.entries) {
          if (seen.has(entry.user.id)) continue
          seen.add(entry.user.id)
          viewers.push(entry.user)
        }
        return { key, ref, lease, viewers, queueLength: queue.entries.length, found: await lookUp(key, ref, lease, next) }
      }),
    )
    records = next
    return rows.filter((row): row is ReadRow => row !== null)
  }

  function permissions(watcher: Watcher, row: ReadRow): Promise<{ see: boolean; release: boolean }> {
    const id = leaseId(row.key, row.lease)
    let allowed = watcher.allowed.get(id)
    if (!allowed) {
      allowed = (async () => {
        const { adminUser, user } = watcher.socket.data
        const { lease } = row
        // A record only viewed: for those who see every lock, as AdminJS lets them see the record.
        if (!lease)
          return { see: watcher.scope === 'all' && watcher.canViewAll && row.found !== null && (await maySee(adminUser, row.found.resource, row.found.record)), release: false }
        const own = lease.user.id === user.id
        if (!own && (watcher.scope === 'mine' || !watcher.canViewAll)) return { see: false, release: false }
        if (!row.found) return { see: own, release: own }
        const see = own || (await maySee(adminUser, row.found.resource, row.found.record))
        if (!see) return { see, release: false }
        if (own) return { see, release: true }
        return { see, release: row.found.record ? await mayForceRelease(adminUser, user, lease.user, row.found.resource, row.found.record) : false }
      })()
      watcher.allowed.set(id, allowed)
    }
    return allowed
  }

  async function mayForceRelease(currentAdmin: AdminUser, user: UserView, holder: UserView, resource: BaseResource, record: BaseRecord): Promise<boolean> {
    try {
      return (await ctx.options.canForceRelease({ user, currentAdmin, holder, resource, record })) === true
    } catch (error) {
      ctx.logger.warn('adminjs-collaborator: canForceRelease failed; the release is refused', error)
      return false
    }
  }

  async function viewOf(watcher: Watcher, rows: ReadRow[]): Promise<LockRow[]> {
    const shown = await Promise.all(
      rows.map(async (row): Promise<LockRow | null> => {
        const { see, release } = await permissions(watcher, row)
        if (!see) return null
        return {
          ...row.ref,
          title: row.found?.record ? row.found.record.title() : null,
          resourceName: row.found ? row.found.resource.decorate().getResourceName() : row.ref.resourceId,
          holder: row.lease?.user ?? null,
          fence: row.lease?.fence ?? null,
          sinceMs: row.lease?.sinceMs ?? null,
          lastActiveMs: row.lease?.lastActiveMs ?? null,
          unsaved: row.lease?.unsaved ?? false,
          viewers: row.viewers,
          queueLength: row.queueLength,
          canRelease: release,
        }
      }),
    )
    return shown.filter((row): row is LockRow => row !== null)
  }

  const snapshotOf = (watcher: Watcher, rows: LockRow[]): LocksSnapshot => ({
    scope: watcher.scope,
    rows,
    atMs: Date.now(),
    canViewAll: watcher.canViewAll,
    me: watcher.socket.data.user,
  })

  /** Reads once for every watcher and sends each the view that changed. One read at a time. */
  async function refresh(): Promise<void> {
    if (reading) {
      readAgain = true
      return reading
    }
    reading = (async () => {
      try {
        const rows = await readRows()
        await Promise.all(
          [...watchers.values()].map(async (watcher) => {
            const view = await viewOf(watcher, rows)
            const said = JSON.stringify(view)
            if (said === watcher.sent || watchers.get(watcher.socket.id) !== watcher) return
            watcher.sent = said
            watcher.socket.emit('locks:snapshot', snapshotOf(watcher, view))
          }),
        )
      } catch {
        // The store is away: the watchers keep what they have; the next poll tries again.
      }
    })()
    await reading
    reading = undefined
    if (readAgain) {
      readAgain = false
      await refresh()
    }
  }

  function startPolling(): void {
    if (timer || ctx.closing) return
    timer = setInterval(() => void refresh(), LOCKS_POLL_MS)
    timer.unref()
  }

  function unwatch(socketId: string): void {
    watchers.delete(socketId)
    if (watchers.size === 0 && timer) {
      clearInterval(timer)
      timer = undefined
    }
  }

  const canViewAll = async (admin: AdminUser): Promise<boolean> => {
    try {
      return (await ctx.options.canViewLocks(admin)) === true
    } catch (error) {
      ctx.logger.warn('adminjs-collaborator: canViewLocks failed; only their own locks are shown', error)
      return false
    }
  }

  router.on('locks:watch', locksWatchSchema, async (socket, { scope }) => {
    await ctx.sessions.verify(socket)
    const watcher: Watcher = { socket, scope, canViewAll: await canViewAll(socket.data.adminUser), sent: '', allowed: new Map() }
    const first = !watchers.has(socket.id)
    watchers.set(socket.id, watcher)
    if (first) socket.once('disconnect', () => unwatch(socket.id))
    startPolling()
    const view = await viewOf(watcher, await readRows())
    watcher.sent = JSON.stringify(view)
    return snapshotOf(watcher, view)
  })

  router.on('locks:unwatch', locksUnwatchSchema, async (socket) => {
    unwatch(socket.id)
    return null
  })

  router.on('locks:release', lockReleaseSchema, async (socket, request) => {
    await ctx.sessions.verify(socket)
    const ref: RecordRef = { resourceId: request.resourceId, recordId: request.recordId }
    const key = recordKey(ref.resourceId, ref.recordId)
    const lease = await ctx.store.locks.get(key)
    if (!lease || lease.fence !== request.fence) return { released: false }
    const { adminUser, user } = socket.data
    const own = lease.user.id === user.id
    if (!own) {
      const resource = findResource(ctx, ref.resourceId)
      const record = resource ? await resource.findOne(ref.recordId).catch(() => null) : null
      const allowed =
        resource && record && (await canViewAll(adminUser)) && (await maySee(adminUser, resource, record)) && (await mayForceRelease(adminUser, user, lease.user, resource, record))
      if (!allowed) throw new AckFailure(ErrorCode.Forbidden, `you may not end ${lease.user.name}'s lock`)
    }
    const result = await ctx.store.locks.forceRelease(key, { fence: request.fence, token: lease.token })
    if (!result.released) return { released: false }
    void ctx.audit({ kind: 'force-released', ref, user: lease.user, by: user, reason: own ? 'own' : 'admin' })
    stopRenewingEverywhere(ctx, key, lease.token)
    ctx.io.to(recordRoom(ref.resourceId, ref.recordId)).emit('lock:ended', { ...ref, fence: lease.fence, reason: 'force-released', by: user })
    await announceLock(ctx, ref, { lease: null, revision: result.revision })
    void refresh()
    return { released: true }
  })

  router.on('audit:list', auditListSchema, async (socket, request): Promise<AuditEntryView[]> => {
    await ctx.sessions.verify(socket)
    const { adminUser, user } = socket.data
    const all = await canViewAll(adminUser)
    // Without canViewLocks, an admin's own trail only.
    const userId = all ? request.userId : user.id
    if (!all && request.userId !== undefined && request.userId !== user.id) throw new AckFailure(ErrorCode.Forbidden, 'you may see only your own audit events')
    const entries = await ctx.store.audit.list({
      limit: request.limit,
      ...(request.resourceId !== undefined && request.recordId !== undefined ? { recordKey: recordKey(request.resourceId, request.recordId) } : {}),
      ...(userId !== undefined ? { userId } : {}),
      ...(request.before !== undefined ? { before: request.before } : {}),
    })
    // Only records of resources this admin may list.
    const visible = new Map<string, Promise<boolean>>()
    const mayList = (resourceId: string) => {
      let allowed = visible.get(resourceId)
      if (!allowed) {
        const resource = findResource(ctx, resourceId)
        allowed = resource ? maySee(adminUser, resource, null) : Promise.resolve(false)
        visible.set(resourceId, allowed)
      }
      return allowed
    }
    const shown = await Promise.all(entries.map(async (entry) => ((await mayList(entry.resourceId)) ? entry : null)))
    return shown
      .filter((entry) => entry !== null)
      .map((entry) => ({
        id: entry.id,
        atMs: entry.atMs,
        kind: entry.kind,
        resourceId: entry.resourceId,
        recordId: entry.recordId,
        user: entry.user,
        ...(entry.by ? { by: entry.by } : {}),
        ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
      }))
  })

  serverSide(ctx).on(FORCED_EVENT, (key, token) => {
    if (typeof key === 'string' && typeof token === 'string') ctx.keeper.forget(key, token)
  })

  return {
    locksChanged() {
      if (watchers.size === 0 || soon || ctx.closing) return
      soon = setTimeout(() => {
        soon = undefined
        void refresh()
      }, LOCAL_CHANGE_DELAY_MS)
      soon.unref()
    },
    close() {
      clearInterval(timer)
      clearTimeout(soon)
      timer = undefined
      watchers.clear()
    },
  }
}
