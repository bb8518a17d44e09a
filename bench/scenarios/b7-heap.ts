/**
 * B7: memory per idle socket. N sockets connect to the server process and each joins a record as a
 * viewer (ten per record); the server's heapUsed after forced collections, minus the same before,
 * divided by N. Measured with the Redis store (state in Redis: its used_memory is reported too)
 * and with the memory store (state in the heap), against the bare Socket.IO server with each socket
 * in a room of ten.
 */
import type { Socket } from 'socket.io-client'
import type { HeapSample } from '../lib/child.js'
import { addRow, progress, startCollab, type Bench } from '../lib/bench.js'
import { anyCookie, closeAll, connectBare, connectCollab, connectMany, joinPost, joinRoom } from '../lib/clients.js'
import { round, sleep, waitUntil } from '../lib/stats.js'

const KiB = 1024

async function settledHeap(bench: Bench, child: 'collab' | 'bare', expectClients: number): Promise<HeapSample> {
  const target = child === 'collab' ? bench.collab : bench.bare
  await waitUntil(async () => (await target.request<{ clients: number }>('stats')).clients === expectClients, 10_000, 100)
  await sleep(500)
  return target.request<HeapSample>('heap')
}

export async function b7(bench: Bench): Promise<void> {
  const n = bench.quick ? 500 : 10_000
  const records = Math.ceil(n / 10)
  const warm = 50
  const results: Record<string, unknown> = { n }

  // Bare first: its number is the floor of both rows.
  progress(`B7: ${n} idle sockets on the bare server`)
  {
    const warmup = await connectMany(
      warm,
      50,
      () => connectBare(bench.bareUrl),
      async (socket, i) => joinRoom(socket, `warm:${i % 5}`),
    )
    closeAll(warmup)
  }
  const bareBefore = await settledHeap(bench, 'bare', 0)
  const bareSockets = await connectMany(
    n,
    200,
    () => connectBare(bench.bareUrl),
    async () => undefined,
  )
  const bareConnected = await settledHeap(bench, 'bare', n)
  await Promise.all(bareSockets.map((socket, i) => joinRoom(socket, `room:${i % records}`)))
  const bareAfter = await settledHeap(bench, 'bare', n)
  closeAll(bareSockets)
  const barePer = (bareAfter.heapUsed - bareBefore.heapUsed) / n
  results.bare = { before: bareBefore, connected: bareConnected, after: bareAfter, perSocket: barePer }

  for (const store of ['redis', 'memory'] as const) {
    progress(`B7: ${n} idle viewers on the collaboration server (${store} store)`)
    const app = await startCollab(bench, bench.collab, { posts: records, store })
    {
      const warmup = await connectMany(
        warm,
        50,
        (i) => connectCollab(app.url, anyCookie(app.cookies, i)),
        async (socket, i) => void (await joinPost(socket, app.postIds[i % 5]!, 'show')),
      )
      closeAll(warmup)
    }
    const before = await settledHeap(bench, 'collab', 0)
    const redisBefore = await bench.redis.usedMemory()
    const started = performance.now()
    // Connected first (the handshake: session, user), then joined (rooms, presence, our state).
    const sockets: Socket[] = await connectMany(
      n,
      200,
      (i) => connectCollab(app.url, anyCookie(app.cookies, i)),
      async () => undefined,
    )
    const connected = await settledHeap(bench, 'collab', n)
    await connectMany(
      n,
      200,
      async (i) => sockets[i]!,
      async (socket, i) => {
        await joinPost(socket, app.postIds[i % records]!, 'show', undefined, 30_000)
      },
    )
    const connectSeconds = (performance.now() - started) / 1000
    const after = await settledHeap(bench, 'collab', n)
    const redisAfter = await bench.redis.usedMemory()
    const per = (after.heapUsed - before.heapUsed) / n
    const rssPer = (after.rss - before.rss) / n
    addRow(bench, {
      id: 'B7',
      name: `${n} idle viewers, ${store} store`,
      metric: 'heapUsed per socket',
      value: per / KiB,
      unit: 'KiB',
      floor: barePer / KiB,
      target: '<= 14 KiB',
      met: per <= 14 * KiB,
      ...(store === 'redis' ? { headline: 'heap per idle socket at 10,000' as const } : {}),
      note:
        `connected ${round((connected.heapUsed - before.heapUsed) / n / KiB, 1)} KiB + joined ${round((after.heapUsed - connected.heapUsed) / n / KiB, 1)} KiB ` +
        `(bare: ${round((bareConnected.heapUsed - bareBefore.heapUsed) / n / KiB, 1)} + ${round((bareAfter.heapUsed - bareConnected.heapUsed) / n / KiB, 1)}); ` +
        `rss +${round(rssPer / KiB, 1)} KiB/socket; connect+join of ${n} took ${round(connectSeconds, 1)} s (200 at a time)` +
        (store === 'redis' ? `; Redis used_memory +${round((redisAfter - redisBefore) / n / KiB, 2)} KiB/viewer` : ''),
    })
    results[store] = { before, connected, after, perSocket: per, rssPerSocket: rssPer, redisPerViewer: (redisAfter - redisBefore) / n, connectSeconds }
    // The server closes its sockets first (no leave storm into a closing server), then the clients go.
    await bench.collab.request('stop')
    closeAll(sockets)
    await sleep(200)
  }
  bench.details.B7 = results
}
