/**
 * A page that goes away says so: on `pagehide` (the tab closes, reloads, or leaves the admin) it
 * sends `record:unload` while its socket is still open. The lease its join holds then shrinks to
 * `reloadGraceMs` instead of waiting the whole reconnect grace after the socket drops: a reload of
 * the same tab joins again with the same token well within it and keeps the lock, and a closed
 * tab's record frees for the next editor at once after it.
 *
 * Only this socket's own lease: the one this process's keeper renews for this socket and this
 * join's token, shortened in the store only for that token AND this socket's user. A viewer's
 * signal, a token copied from someone else, or a record the socket never joined change nothing.
 * Rooms and presence are left when the socket closes, as for any disconnect.
 *
 * Events of one socket run in order, so a signal queued behind a slow request may find the socket
 * closed already: its leases are then in the reconnect grace, as without the signal.
 */
import type { ServerContext } from './context.js'
import type { EventRouter } from './event-router.js'
import { holderOf, holdForReconnect } from './lock.handlers.js'
import { joinedRecord } from './record-session.js'
import { recordRefSchema } from './validation.js'

export function registerUnload(ctx: ServerContext, router: EventRouter): void {
  router.on('record:unload', recordRefSchema, async (socket, ref): Promise<null> => {
    const joined = joinedRecord(socket, ref)
    // No longer renewed here, and so not put into the reconnect grace when the socket drops. Not
    // this socket's any more when the reloaded tab's join (another socket) claimed it first.
    const held = ctx.keeper.untrack(joined.key, socket.id, joined.token)
    if (!held) return null
    const holder = holderOf(socket, joined)
    await holdForReconnect(ctx, joined.key, held.ref, held.claimant, ctx.options.reloadGraceMs)
    // That join's claim ran while this was on its way: the window must not end the lease it renewed.
    if (ctx.keeper.isHeldBy(joined.key, joined.token)) await ctx.store.locks.heartbeat(joined.key, holder, ctx.options.lockTtlMs)
    return null
  })
}
