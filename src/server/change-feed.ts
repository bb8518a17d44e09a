/**
 * The change feed over Socket.IO (#14): every write made through the admin to a resource with the
 * feature (the write guard's after side, collaboration.ts) goes to the admins who may see that
 * resource, on every page and every process, as `change:feed`.
 *
 * Who may see a resource: AdminJS lets them run its `list` or its `show` action (`isAccessible`,
 * asked without a record, as AdminJS asks for its own menu). Each socket is put into the room of
 * every such resource (`feedRoom`) when it connects, and the rooms are worked out again every
 * `heartbeatIntervalMs`, the interval at which sessions are re-read: a permission taken away stops
 * the feed within one interval, a session that ended closes the socket. So a change is one room
 * broadcast, which the cluster adapter carries to every process; no process filters per socket.
 *
 * `feed:recent` reads the store's change log back (the bell's panel on page load), filtered to the
 * same resources.
 */
import type { BaseResource } from 'adminjs'
import { ErrorCode, type FeedRecentReply } from '../protocol.js'
import type { AdminUser } from '../options.js'
import { feedRoom } from '../store/keys.js'
import type { ChangeEntry } from '../store/store.js'
import { featureConfig } from './access.js'
import { AckFailure } from './ack-failure.js'
import type { CollabSocket, ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import { feedRecentSchema } from './validation.js'
import { announceChangeTo, toChangeEvent } from './announcer.js'

/** The resources whose changes reach the feed: those with the feature and `changeFeed` on. */
function feedResources(ctx: ServerContext): BaseResource[] {
  return ctx.admin.resources.filter((resource) => featureConfig(resource)?.changeFeed === true)
}

async function maySee(resource: BaseResource, admin: AdminUser): Promise<boolean> {
  const { actions } = resource.decorate()
  for (const name of ['list', 'show'] as const) {
    try {
      if (actions[name] && (await actions[name].isAccessible(admin as never))) return true
    } catch {
      // A permission function that throws without a record grants nothing here.
    }
  }
  return false
}

/** The resource ids this admin's feed carries, now. */
export async function feedResourceIds(ctx: ServerContext, admin: AdminUser): Promise<string[]> {
  const allowed = await Promise.all(feedResources(ctx).map(async (resource) => ((await maySee(resource, admin)) ? resource.decorate().id() : null)))
  return allowed.filter((id): id is string => id !== null)
}

export interface ChangeFeed {
  /** Tells every admin who may see the resource, on every process (one room broadcast). */
  announce(entry: ChangeEntry): void
  close(): void
}

export function registerChangeFeed(ctx: ServerContext, router: EventRouter): ChangeFeed {
  /** Each socket's feed rooms as last worked out, to leave the ones it may no longer see. */
  const roomsOf = new WeakMap<CollabSocket, Set<string>>()

  async function placeSocket(socket: CollabSocket): Promise<void> {
    const ids = await feedResourceIds(ctx, socket.data.adminUser)
    if (!socket.connected) return
    const next = new Set(ids.map(feedRoom))
    for (const room of roomsOf.get(socket) ?? []) if (!next.has(room)) void socket.leave(room)
    for (const room of next) void socket.join(room)
    roomsOf.set(socket, next)
  }

  const place = (socket: CollabSocket) => void placeSocket(socket).catch((error) => ctx.logger.warn('adminjs-collaborator: placing a socket in its feed rooms failed', error))

  ctx.io.on('connection', place)
  const timer = setInterval(() => {
    for (const socket of ctx.io.of('/').sockets.values()) place(socket)
  }, ctx.options.heartbeatIntervalMs)
  timer.unref()

  router.on('feed:recent', feedRecentSchema, async (socket, { limit, before }): Promise<FeedRecentReply> => {
    // Asked again, not read from the rooms: the answer must not outlive a permission by a tick.
    const resourceIds = await feedResourceIds(ctx, socket.data.adminUser)
    try {
      const entries = await ctx.store.changes.recent({ resourceIds, limit, ...(before === undefined ? {} : { before }) })
      return { me: socket.data.user, changes: entries.map(toChangeEvent) }
    } catch (error) {
      if (error instanceof RangeError) throw new AckFailure(ErrorCode.InvalidPayload, 'before is not a change id')
      throw error
    }
  })

  return {
    announce(entry) {
      announceChangeTo(ctx.io, entry)
    },
    close() {
      clearInterval(timer)
      ctx.io.off('connection', place)
    },
  }
}
