/**
 * The floors: a bare Socket.IO server with nothing of ours, in its own child process like the
 * collaboration server. Same transport (WebSocket only), same ping settings as the bench gives the
 * collaboration server. Events: `echo` acknowledges its payload; `echo-redis` does so after one
 * trivial Lua script on the bench's Redis (the floor of any operation that needs one round trip
 * to Redis); `room-emit-redis` is `room-emit` after that script (the floor of a message stored
 * before anyone is told); `echo-redis-session` runs that script and reads a login session on a second connection
 * at once (the floor of an event that re-checks its session, as every claim does); `echo-claim`
 * does that with the package's own claim script (lockClaim-8, renewing one lease) in place of the
 * trivial one, and answers with the lease the script returned (the least any server pays for a
 * claim that checks and writes in one step and re-reads its session: ioredis, Socket.IO, the
 * script, the reply's bytes; none of our JavaScript around them); `join` puts the socket in a room; `room-emit` sends `{ event, payload }` to everyone
 * in a room, then acknowledges; `notify-on-disconnect` names a room that gets `peer-left` (with
 * this socket's id) as soon as this socket disconnects (the floor of "a closed tab is noticed").
 * With `streamName`, broadcasts go through Socket.IO's Redis streams adapter on that stream, as
 * ours do (B12 runs two of these, sharing one stream: the floor of a broadcast across processes).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Redis } from 'ioredis'
import { Server } from 'socket.io'
import { createAdapter } from '@socket.io/redis-streams-adapter'
import { writeHeapSnapshot } from 'node:v8'
import { sampleHeap, sampleLoad, serveRequests } from './lib/child.js'
import { BARE_PATH } from './lib/paths.js'
import { scripts } from '../src/store/redis-scripts.js'
import { LISTEN_BACKLOG } from '../src/listen-backlog.js'

interface StartArgs {
  pingIntervalMs: number
  pingTimeoutMs: number
  redisUrl?: string
  /** Broadcast through the Redis streams adapter on this stream of `redisUrl` (several processes share it). */
  streamName?: string
}

let io: Server | undefined
/** The streams adapter's own connection (it blocks in XREAD), when `streamName` was given. */
let adapterRedis: Redis | undefined
let redis: (Redis & { benchNoop(key: string, value: string): Promise<unknown>; benchClaim(...keysThenArgs: string[]): Promise<string> }) | undefined
/** A login session's own connection, as a session store (connect-redis) has one next to the app's. */
let sessionRedis: Redis | undefined
const SESSION_KEY = 'bench:bare:sess:1'
/** lockClaim-8's keys (lease, fence, revision, the line's four, ended) for the bare server's one record. */
const CLAIM_KEYS = ['lock', 'fence', 'rev', 'q:order', 'q:expiry', 'q:data', 'q:turn', 'ended'].map((part) => `bench:bare:{claim}:${part}`)
/** An AdminJS login session as connect-redis stores it for the fixture's admins (about this size). */
const SESSION = JSON.stringify({
  cookie: { originalMaxAge: null, expires: null, secure: false, httpOnly: true, path: '/', sameSite: 'lax' },
  adminUser: { email: 'alice@example.com', title: 'Alice Martin', id: 'alice', avatarUrl: null, role: 'editor' },
  redirectTo: '/admin',
})

/** (Re)connects `echo-redis` to the Redis at `url` (B8 puts a delaying proxy in between for a while). */
function useRedis(url: string): null {
  redis?.disconnect()
  const client = new Redis(url) as NonNullable<typeof redis>
  client.defineCommand('benchNoop', { numberOfKeys: 1, lua: "return redis.call('EXISTS', KEYS[1]) + #ARGV[1]" })
  client.defineCommand('benchClaim', scripts.lockClaim)
  redis = client
  sessionRedis?.disconnect()
  sessionRedis = new Redis(url)
  void sessionRedis.set(SESSION_KEY, SESSION).catch(() => undefined)
  return null
}

async function start(args: StartArgs): Promise<{ url: string }> {
  await stop()
  if (args.redisUrl) useRedis(args.redisUrl)
  const httpServer = http.createServer()
  if (args.streamName && args.redisUrl) adapterRedis = new Redis(args.redisUrl)
  io = new Server(httpServer, {
    path: BARE_PATH,
    transports: ['websocket'],
    serveClient: false,
    pingInterval: args.pingIntervalMs,
    pingTimeout: args.pingTimeoutMs,
    ...(adapterRedis ? { adapter: createAdapter(adapterRedis, { streamName: args.streamName }) } : {}),
  })
  const server = io
  server.on('connection', (socket) => {
    socket.on('echo', (payload: unknown, ack?: (reply: unknown) => void) => ack?.({ ok: true, data: payload }))
    socket.on('echo-redis', async (payload: unknown, ack?: (reply: unknown) => void) => {
      try {
        await redis?.benchNoop('bench:bare:noop', JSON.stringify(payload))
        ack?.({ ok: true, data: payload })
      } catch (error) {
        ack?.({ ok: false, error: { code: 'internal', message: String(error) } })
      }
    })
    // The floor of an event that re-checks its session as it runs its script (guarantee 8): the
    // script and the session store's read at once, each on its own connection, the session parsed.
    socket.on('echo-redis-session', async (payload: unknown, ack?: (reply: unknown) => void) => {
      try {
        const [, stored] = await Promise.all([redis?.benchNoop('bench:bare:noop', JSON.stringify(payload)), sessionRedis?.get(SESSION_KEY)])
        if (!stored || !(JSON.parse(stored) as { adminUser?: unknown }).adminUser) throw new Error('no session')
        ack?.({ ok: true, data: payload })
      } catch (error) {
        ack?.({ ok: false, error: { code: 'internal', message: String(error) } })
      }
    })
    socket.on('echo-claim', async (payload: Record<string, unknown>, ack?: (reply: unknown) => void) => {
      try {
        const [reply, stored] = await Promise.all([
          redis!.benchClaim(...CLAIM_KEYS, 'bench-tab-token', 'alice', 'Alice', '', '30000', String(Date.now()), '0', '0'),
          sessionRedis?.get(SESSION_KEY),
        ])
        if (!stored || !(JSON.parse(stored) as { adminUser?: unknown }).adminUser) throw new Error('no session')
        const { code, lease, revision } = JSON.parse(reply) as { code: number; lease: unknown; revision: number }
        if (code !== 1 && code !== 2) throw new Error(`claim script answered ${reply}`)
        ack?.({ ok: true, data: { ...payload, lease, revision } })
      } catch (error) {
        ack?.({ ok: false, error: { code: 'internal', message: String(error) } })
      }
    })
    socket.on('join', async (room: string, ack?: (reply: unknown) => void) => {
      await socket.join(room)
      ack?.({ ok: true, data: null })
    })
    socket.on('notify-on-disconnect', (room: string, ack?: (reply: unknown) => void) => {
      socket.once('disconnect', () => server.to(room).emit('peer-left', { id: socket.id }))
      ack?.({ ok: true, data: null })
    })
    socket.on('room-emit', (request: { room: string; event: string; payload: unknown }, ack?: (reply: unknown) => void) => {
      server.to(request.room).emit(request.event, request.payload)
      ack?.({ ok: true, data: null })
    })
    socket.on('room-emit-redis', async (request: { room: string; event: string; payload: unknown }, ack?: (reply: unknown) => void) => {
      await redis?.benchNoop('bench:bare:noop', JSON.stringify(request.payload)).catch(() => undefined)
      server.to(request.room).emit(request.event, request.payload)
      ack?.({ ok: true, data: null })
    })
  })
  // The same backlog as the servers under test, so a stampede compares like with like.
  await new Promise<void>((resolve) => httpServer.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, resolve))
  return { url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` }
}

async function stop(): Promise<null> {
  if (io) {
    io.disconnectSockets(true)
    await io.close() // closes the HTTP server too
  }
  io = undefined
  adapterRedis?.disconnect()
  adapterRedis = undefined
  redis?.disconnect()
  redis = undefined
  sessionRedis?.disconnect()
  sessionRedis = undefined
  return null
}

serveRequests({
  start: (args: StartArgs) => start(args),
  heap: async () => sampleHeap(io?.engine.clientsCount ?? 0),
  /** Diagnostics: a V8 heap snapshot at `path`, after a forced collection. */
  snapshot: async (args: { path: string }) => {
    await sampleHeap(0)
    return writeHeapSnapshot(args.path)
  },
  stats: async () => ({ clients: io?.engine.clientsCount ?? 0, rooms: io?.of('/').adapter.rooms.size ?? 0 }),
  load: async (args: { reset?: boolean }) => sampleLoad(args.reset ?? false),
  redis: async (args: { url: string }) => useRedis(args.url),
  stop,
  exit: async () => {
    await stop().catch(() => undefined)
    setImmediate(() => process.exit(0))
    return null
  },
})
