/**
 * The local-first adapter (src/server/local-first-adapter.ts): a broadcast reaches the sockets of
 * the process that sent it without waiting for Redis, and still reaches the other processes through
 * the Redis stream, in the order it was sent. Two real Socket.IO servers on the streams adapter,
 * real clients; Redis is reached through a proxy that can go silent, so "without waiting" is shown
 * by Redis not answering at all while the local sockets hear the broadcast.
 */
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdapter } from '@socket.io/redis-streams-adapter'
import { Redis } from 'ioredis'
import { Server } from 'socket.io'
import { io as connect, type Socket as ClientSocket } from 'socket.io-client'
import { randomUUID } from 'node:crypto'
import { localFirst } from '../src/server/local-first-adapter.js'
import { startPausableProxy, type PausableProxy } from './support/pausable-proxy.js'

interface Node {
  io: Server
  http: HttpServer
  redis: Redis
  url: string
}

const stream = `test:adapter:${randomUUID()}`

/** Set in teardown: the adapter's own copies of a client (its stream readers, its subscriber) stop reconnecting. */
let tearingDown = false

async function startNode(redisUrl: string, wrap: boolean): Promise<Node> {
  // The adapter duplicates this client (options and all) for its readers, which the test cannot
  // close itself: once the proxy is gone they must not retry for ever and keep jest from exiting.
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null, retryStrategy: () => (tearingDown ? null : 50) })
  const adapter = createAdapter(redis, { streamName: stream, channelPrefix: stream, blockTimeInMs: 100 })
  const http = createServer()
  const io = new Server(http, { adapter: wrap ? localFirst(adapter) : adapter, transports: ['websocket'] })
  io.on('connection', (socket) => void socket.join('room'))
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  return { io, http, redis, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` }
}

async function client(node: Node): Promise<ClientSocket> {
  const socket = connect(node.url, { transports: ['websocket'], forceNew: true })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', reject)
  })
  // Joined once the server's connection handler ran: one round trip later.
  await new Promise((resolve) => setTimeout(resolve, 50))
  return socket
}

function collect(socket: ClientSocket): number[] {
  const heard: number[] = []
  socket.on('n', (n: number) => heard.push(n))
  return heard
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe.each([
  ['local first', true],
  ["the streams adapter's own broadcast", false],
] as const)('%s', (_name, wrap) => {
  let proxy: PausableProxy
  let nodes: Node[] = []
  let sockets: ClientSocket[] = []

  beforeEach(async () => {
    const target = new URL(process.env.TEST_REDIS_URL!)
    proxy = await startPausableProxy({ host: target.hostname, port: Number(target.port) })
    // The sender reaches Redis through the proxy; the receiver directly.
    tearingDown = false
    nodes = [await startNode(`redis://127.0.0.1:${proxy.port}`, wrap), await startNode(process.env.TEST_REDIS_URL!, wrap)]
    sockets = []
  })

  afterEach(async () => {
    tearingDown = true
    for (const socket of sockets) socket.close()
    for (const node of nodes) {
      node.io.close()
      node.redis.disconnect()
    }
    await proxy.close()
    // The adapter's stream readers stop after their current blocking read (blockTimeInMs 100).
    await new Promise((resolve) => setTimeout(resolve, 300))
  })

  test('local sockets hear a broadcast while Redis is silent; the other process hears it, in order, once Redis answers', async () => {
    const [sender, receiver] = nodes as [Node, Node]
    const local = await client(sender)
    const remote = await client(receiver)
    sockets.push(local, remote)
    const heardLocally = collect(local)
    const heardRemotely = collect(remote)

    proxy.cut()
    for (let n = 1; n <= 5; n += 1) sender.io.to('room').emit('n', n)
    if (wrap) {
      await until(() => heardLocally.length === 5, 'the local deliveries')
      expect(heardLocally).toEqual([1, 2, 3, 4, 5])
    } else {
      // The adapter's own way waits for Redis: nothing arrives while it is silent.
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(heardLocally).toEqual([])
    }
    expect(heardRemotely).toEqual([])

    proxy.restore()
    await until(() => heardRemotely.length === 5 && heardLocally.length === 5, 'the deliveries after Redis answers')
    expect(heardRemotely).toEqual([1, 2, 3, 4, 5])
    expect(heardLocally).toEqual([1, 2, 3, 4, 5])
  })

  test('a local-only broadcast stays on its process', async () => {
    const [sender, receiver] = nodes as [Node, Node]
    const local = await client(sender)
    const remote = await client(receiver)
    sockets.push(local, remote)
    const heardLocally = collect(local)
    const heardRemotely = collect(remote)
    sender.io.local.to('room').emit('n', 1)
    sender.io.to('room').emit('n', 2)
    await until(() => heardRemotely.length === 1 && heardLocally.length === 2, 'the deliveries')
    expect(heardLocally).toEqual([1, 2])
    expect(heardRemotely).toEqual([2])
  })
})
