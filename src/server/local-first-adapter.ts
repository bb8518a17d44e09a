/**
 * Broadcasts reach this process's own sockets at once, and the other processes' through Redis.
 *
 * Socket.IO's cluster adapters (the Redis streams one included) deliver a broadcast to the local
 * sockets only after Redis has stored it: they wait for the stream entry's id, which only
 * connection state recovery uses (it is appended to the packet so a reconnecting client can ask
 * for what it missed). This server does not enable recovery, so that wait is one Redis round trip
 * on the path of every lock, presence and chat event to the people on the same process, for
 * nothing. Here the message is delivered locally first (every local socket's frame written, as a
 * single process would), then handed to Redis; both are synchronous, so the order of this
 * process's broadcasts in the stream is still the order of the calls. Publishing first held every
 * local socket back by the message's encoding and its XADD's write (0.13 ms of a 0.5 ms broadcast to
 * 100 sockets, bench/tools/fanout-compare.ts). The other processes hear it exactly as before.
 */
import type { Namespace, ServerOptions } from 'socket.io'
import { Adapter, MessageType, type BroadcastOptions } from 'socket.io-adapter'

type AdapterFactory = (nsp: Namespace) => Adapter

/** The part of ClusterAdapter used here (`publish` is protected in its typings). */
interface Publishing extends Adapter {
  publish(message: { type: MessageType.BROADCAST; data: { packet: unknown; opts: ReturnType<typeof encodeOptions> } }): void
}

/** The wire form of broadcast options, as ClusterAdapter sends them (Sets become arrays). */
function encodeOptions(opts: BroadcastOptions) {
  return { rooms: [...opts.rooms], except: [...(opts.except ?? [])], flags: opts.flags }
}

export function localFirst(factory: AdapterFactory): AdapterFactory {
  // A function, not an arrow: Socket.IO calls the adapter with `new`.
  return function localFirstAdapter(nsp) {
    const adapter = factory(nsp) as Publishing
    // With recovery on, the local packet must carry the stream offset: keep the adapter's own way.
    // (socket-server.ts never turns it on; `opts` is private in the typings.)
    if ((nsp.server as unknown as { opts: ServerOptions }).opts.connectionStateRecovery) return adapter
    const deliverLocally = Adapter.prototype.broadcast
    adapter.broadcast = function broadcast(packet: unknown, opts: BroadcastOptions) {
      // `publish` reports its own failures (and the streams adapter's client queues while
      // reconnecting), as the adapter's broadcast did; local delivery never depends on it.
      // The wire form of the options first: local delivery must not see them changed meanwhile.
      const published = opts.flags?.local ? undefined : ({ type: MessageType.BROADCAST, data: { packet, opts: encodeOptions(opts) } } as const)
      deliverLocally.call(adapter, packet, opts)
      if (published) adapter.publish(published)
    }
    return adapter
  }
}
