/**
 * The Socket.IO Redis streams adapter with its broadcasts spread over several streams, by record.
 *
 * The streams adapter appends every broadcast of a namespace to one Redis stream, which every
 * process reads on from its last entry (so a connection that drops for a moment misses nothing).
 * On a Redis Cluster that stream is one key on one shard: every broadcast of every process goes
 * through that shard's CPU and network, however many masters there are. Its own `streamCount`
 * option reads several streams, but routes by namespace, and this server has one.
 *
 * Here the adapter reads `count` streams (`<name>-0` … `<name>-<count-1>`, keys without a hash
 * tag, so a Cluster spreads them over its slots and masters) and each broadcast is appended to the
 * stream of its partition: the record its payload names (every record event carries `resourceId`
 * and `recordId`, whichever room it goes to: the record's page room, its watchers', a chat pair's),
 * else its rooms. What holds, and what does not:
 * - every process still hears every broadcast, read from the last entry it got of each stream after
 *   a reconnect, as with one stream (the streams adapter's recovery, kept);
 * - broadcasts about one record keep the order one process sent them in, as before: they share
 *   a stream. Broadcasts about different records may reach another process in another order than
 *   they were sent (they did not, with one stream): nothing here orders events across records;
 * - the adapter's other messages (remote joins and leaves, its heartbeats) stay on the namespace's
 *   stream, as the adapter routes them.
 * With `count` 1 this is the adapter as it is.
 */
import { createAdapter, type RedisStreamsAdapterOptions } from '@socket.io/redis-streams-adapter'
import type { Cluster, Redis } from 'ioredis'
import type { Namespace } from 'socket.io'
import { MessageType, type Adapter, type ClusterMessage } from 'socket.io-adapter'
import { recordKey } from '../store/keys.js'

type AdapterFactory = (nsp: Namespace) => Adapter

/** The parts of RedisStreamsAdapter used here (TypeScript-private in its typings, public in its code). */
interface StreamsAdapter extends Adapter {
  doPublish(message: ClusterMessage): Promise<string>
  encode(message: ClusterMessage): Record<string, string>
}

/** The streams adapter's defaults that the publishing here must match. */
const MAX_LEN = 10_000

/**
 * What orders a broadcast: the record its payload is about, else the rooms it goes to (sorted,
 * so the same set gives the same partition), else '' (one for everything addressed to everyone).
 */
export function broadcastPartition(packet: unknown, rooms: readonly string[]): string {
  const payload = (packet as { data?: unknown[] } | null)?.data?.[1] as { resourceId?: unknown; recordId?: unknown } | null | undefined
  if (payload && typeof payload.resourceId === 'string' && typeof payload.recordId === 'string') return recordKey(payload.resourceId, payload.recordId)
  return [...rooms].sort().join('\n')
}

/** FNV-1a, 32 bits: the same partition gives the same stream in every process, fast and evenly. */
export function streamIndex(partition: string, count: number): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < partition.length; i++) {
    hash ^= partition.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % count
}

export function partitionedStreams(client: Redis | Cluster, options: RedisStreamsAdapterOptions & { streamName: string; streamCount: number }): AdapterFactory {
  const count = options.streamCount
  const factory = createAdapter(client, { ...options, maxLen: options.maxLen ?? MAX_LEN }) as unknown as AdapterFactory
  if (count === 1) return factory
  const maxLen = String(options.maxLen ?? MAX_LEN)
  // A function, not an arrow: Socket.IO calls the adapter with `new`.
  return function partitionedAdapter(nsp) {
    const adapter = factory(nsp) as StreamsAdapter
    const publishOnNamespaceStream = adapter.doPublish.bind(adapter)
    adapter.doPublish = (message) => {
      // A broadcast waiting for acks goes by pub/sub in the adapter (ephemeral), as do its replies.
      if (message.type !== MessageType.BROADCAST || message.data.requestId !== undefined) return publishOnNamespaceStream(message)
      const stream = `${options.streamName}-${streamIndex(broadcastPartition(message.data.packet, message.data.opts.rooms), count)}`
      const fields = Object.entries(adapter.encode(message)).flat()
      // As the adapter's own XADD: approximate trimming, the entry id Redis picks.
      return client.xadd(stream, 'MAXLEN', '~', maxLen, '*', ...fields) as Promise<string>
    }
    return adapter
  }
}
