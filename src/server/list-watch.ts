/**
 * Live lists (#14): a list page follows the rows it shows with one `list:watch` (the page's record
 * ids), answered with each row's lease and the people on it, read in one call to the store
 * (`locks.readMany`, `presence.listMany`: one round trip each, in parallel, for the whole page).
 * The socket then sits in each record's watch room (`recordWatchRoom`), to which every lock and
 * presence change of the record is sent along with the record's own room: the page merges them by
 * revision as record pages do. Asking again replaces the rows; an empty list stops.
 *
 * Who may: an admin AdminJS lets run the resource's `list` action, on a resource with the feature.
 * The rows' contents come from the list the page got from AdminJS itself; this adds who is on them.
 */
import type { BaseResource } from 'adminjs'
import { ErrorCode, type ListRowState, type ListWatchReply } from '../protocol.js'
import { recordKey, recordWatchRoom } from '../store/keys.js'
import { featureConfig } from './access.js'
import { AckFailure } from './ack-failure.js'
import type { CollabSocket, ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import { toLeaseView } from './lease-view.js'
import { presenceUsers } from './presence.js'
import { listWatchSchema } from './validation.js'

function listedResource(ctx: ServerContext, resourceId: string): BaseResource {
  let resource: BaseResource
  try {
    resource = ctx.admin.findResource(resourceId)
  } catch {
    throw new AckFailure(ErrorCode.NotFound, `no resource ${JSON.stringify(resourceId)}`)
  }
  if (!featureConfig(resource)) throw new AckFailure(ErrorCode.NotFound, `collaboration is not enabled on resource ${JSON.stringify(resourceId)}`)
  return resource
}

export function registerListWatch(ctx: ServerContext, router: EventRouter): void {
  /** Each socket's watch rooms now, to leave when it asks for other rows. */
  const watching = new WeakMap<CollabSocket, string[]>()

  router.on('list:watch', listWatchSchema, async (socket, { resourceId, recordIds }): Promise<ListWatchReply> => {
    const resource = listedResource(ctx, resourceId)
    const admin = await ctx.sessions.verify(socket)
    const list = resource.decorate().actions.list
    if (!list || !(await list.isAccessible(admin as never))) throw new AckFailure(ErrorCode.Forbidden, `you may not list ${resourceId}`)
    const ids = [...new Set(recordIds)]
    const rooms = ids.map((recordId) => recordWatchRoom(resourceId, recordId))
    const before = watching.get(socket) ?? []
    // In the rooms first, then read: a change after the read arrives as an event, one before it is in the read.
    await Promise.all(before.filter((room) => !rooms.includes(room)).map((room) => socket.leave(room)))
    if (rooms.length > 0) await socket.join(rooms)
    watching.set(socket, rooms)
    const keys = ids.map((recordId) => recordKey(resourceId, recordId))
    const [locks, presence] = await Promise.all([ctx.store.locks.readMany(keys), ctx.store.presence.listMany(keys)])
    const rows = ids.map((recordId, i): ListRowState => ({
      resourceId,
      recordId,
      lease: toLeaseView(locks[i]!.lease),
      presence: presenceUsers(presence[i]!.entries),
      lockRevision: locks[i]!.revision,
      presenceRevision: presence[i]!.revision,
    }))
    return { resourceId, rows }
  })
}
