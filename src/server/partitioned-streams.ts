/**
 * The Socket.IO Redis streams adapter with its broadcasts spread over several streams, by record.
 *
 * The streams adapter appends every broadcast of a namespace to one Redis stream, which every
 * process reads on from its last entry (so a connection that drops for a moment misses nothing).
 * On a Redis Cluster that stream is one key on one shard: every broadcast of every process goes
 * through that shard's CPU and network, however many masters there are. Its own `streamCount`
 * option routes by namespace (this server has one) and names its streams `<name>-<i>`, which a
 * Cluster places wherever their hashes fall.
 *
 * Here the adapter keeps its one stream for what it sends itself (remote joins and leaves, its
 * heartbeats), and each broadcast goes to one of `count` broadcast streams: the one of the record
 * its payload names (every record event carries `resourceId` and `recordId`, whichever room it goes
 * to: the record's page room, its watchers', a chat pair's), else of its rooms. Each broadcast
 * stream's key has a hash tag picked so that the streams' slots are evenly spaced over the 16,384
 * slots: a Cluster whose masters hold equal contiguous ranges (as `redis-cli --cluster create`
 * makes them) gets an equal share of streams on each master. Every process reads every stream,
 * each on its own blocking connection, from the last entry it got, exactly as the adapter reads its
 * own. What holds, and what does not:
 * - every process still hears every broadcast, read on after a reconnect from the last entry it
 *   got of each stream (the streams adapter's recovery, kept);
 * - broadcasts about one record keep the order one process sent them in, as before: they share a
 *   stream. Broadcasts about different records may reach another process in another order than
 *   they were sent (they did not, with one stream): nothing here orders events across records.
 * With `count` 1 this is the adapter as it is.
 */
import { createAdapter, type RedisStreamsAdapterOptions } from '@socket.io/redis-streams-adapter'
import { slotOf } from '../store/slot.js'
import type { Cluster, Redis } from 'ioredis'
import type { Namespace } from 'socket.io'
import { MessageType, type Adapter, type ClusterMessage } from 'socket.io-adapter'
import { recordKey } from '../store/keys.js'

type AdapterFactory = (nsp: Namespace) => Adapter

/** The parts of RedisStreamsAdapter used here (TypeScript-private in its typings, public in its code). */
interface StreamsAdapter extends Adapter {
  doPublish(message: ClusterMessage): Promise<string>
  encode(message: ClusterMessage): Record<string, string>
  onRawMessage(message: Record<string, string>, offset: string): void
}

/** As the streams adapter: its default trimming, and what one XREAD asks for and blocks. */
const MAX_LEN = 10_000
const READ_COUNT = 100
const BLOCK_MS = 5_000
const SLOTS = 16_384

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

/**
 * The keys of the `count` broadcast streams: `<name>:{b<i>.<n>}`, with the first n whose slot falls
 * in the i-th of `count` equal slices of the slots. Deterministic, so every process finds the same.
 */
export function broadcastStreamKeys(name: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const [from, to] = [Math.floor((i * SLOTS) / count), Math.floor(((i + 1) * SLOTS) / count)]
    for (let n = 0; ; n++) {
      const tag = `b${i}.${n}`
      const slot = slotOf(tag)
      if (slot >= from && slot < to) return `${name}:{${tag}}`
    }
  })
}

/** Reads `stream` from now on on `client`, handing each entry to `onEntry`, until `signal` aborts. */
function readStream(client: Redis | Cluster, stream: string, onEntry: (message: Record<string, string>, offset: string) => void, signal: AbortSignal): void {
  let offset = '$'
  const poll = async (): Promise<void> => {
    while (!signal.aborted) {
      try {
        const reply = (await client.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', stream, offset)) as Array<[string, Array<[string, string[]]>]> | null
        for (const [id, fields] of reply?.[0]?.[1] ?? []) {
          const message: Record<string, string> = {}
          for (let i = 0; i + 1 < fields.length; i += 2) message[fields[i]!] = fields[i + 1]!
          onEntry(message, id)
          offset = id
        }
      } catch {
        // Disconnected or timed out: the client reconnects, and the next XREAD goes on from `offset`.
        if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 100))
      }
    }
  }
  void poll()
}

export function partitionedStreams(client: Redis | Cluster, options: RedisStreamsAdapterOptions & { streamName: string; streamCount: number }): AdapterFactory {
  const { streamCount: count, ...adapterOptions } = options
  const maxLen = options.maxLen ?? MAX_LEN
  const factory = createAdapter(client, { ...adapterOptions, maxLen, streamCount: 1 }) as unknown as AdapterFactory
  if (count === 1) return factory
  const streams = broadcastStreamKeys(options.streamName, count)
  const adapters = new Map<string, StreamsAdapter>()
  let readers: AbortController | undefined
  const onEntry = (message: Record<string, string>, offset: string) => adapters.get(message.nsp ?? '')?.onRawMessage(message, offset)

  // A function, not an arrow: Socket.IO calls the adapter with `new`.
  return function partitionedAdapter(nsp) {
    const adapter = factory(nsp) as StreamsAdapter
    adapters.set(nsp.name, adapter)
    if (!readers) {
      const controller = new AbortController()
      readers = controller
      // One connection per stream: a blocking XREAD holds its connection. One listener ends them all
      // on abort, so a blocking XREAD ends at once rather than when it times out (a listener per
      // reader made Node warn of a leak past 10: MaxListenersExceededWarning with 16 streams).
      const connections = streams.map(() => client.duplicate())
      controller.signal.addEventListener('abort', () => connections.forEach((connection) => connection.disconnect()), { once: true })
      streams.forEach((stream, i) => readStream(connections[i]!, stream, onEntry, controller.signal))
    }
    const publishOnNamespaceStream = adapter.doPublish.bind(adapter)
    adapter.doPublish = (message) => {
      // A broadcast waiting for acks goes by pub/sub in the adapter (ephemeral), as do its replies.
      if (message.type !== MessageType.BROADCAST || message.data.requestId !== undefined) return publishOnNamespaceStream(message)
      const stream = streams[streamIndex(broadcastPartition(message.data.packet, message.data.opts.rooms), count)]!
      // As the adapter's own XADD: approximate trimming, the entry id Redis picks.
      return client.xadd(stream, 'MAXLEN', '~', maxLen, '*', ...Object.entries(adapter.encode(message)).flat()) as Promise<string>
    }
    const close = adapter.close.bind(adapter)
    adapter.close = () => {
      adapters.delete(nsp.name)
      if (adapters.size === 0) {
        readers?.abort()
        readers = undefined
      }
      return close()
    }
    return adapter
  }
}
