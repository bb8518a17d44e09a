/**
 * A client process of the bench (B13): holds thousands of load sockets on socket-tier processes,
 * each with a connection token of its own (issued here with the tier's shared secret, for a
 * session logged in on the shared session store, as the admin's token endpoint would), each joined
 * to one record. One Node process of the bench cannot hold 40,000 sockets (file descriptors, one
 * event loop answering every ping), so B13 starts several of these. They only hold the load: every
 * timed client stays in the bench's own process, on one clock.
 */
import { randomUUID } from 'node:crypto'
import type { Socket } from 'socket.io-client'
import { type Ack, type JoinIntent, type JoinReply } from '../src/protocol.js'
import { issueToken } from '../src/server/socket-token.js'
import { sampleLoad, serveRequests } from './lib/child.js'
import { openWithToken, pool, ref } from './lib/clients.js'

export interface LoadSession {
  sessionId: string
  userId: string
}

export interface LoadConnectArgs {
  urls: string[]
  secret: string
  sessions: LoadSession[]
  /** One per socket: [index into urls, record id, intent, index into sessions]. */
  sockets: Array<[number, string, JoinIntent, number]>
  concurrency: number
}

const sockets: Socket[] = []
let disconnects = 0

let retries = 0

/**
 * Connects with a fresh token and joins; resolves once the join is acknowledged. A refusal for
 * `store_unavailable` (a Redis command of the handshake or the join that waited past the store's
 * commandTimeoutMs while every process is busy connecting) is retried as a page's reconnection
 * would be, a new token each time, and counted.
 */
async function open(url: string, secret: string, session: LoadSession, recordId: string, intent: JoinIntent): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const { socket, connected } = openWithToken(url, issueToken(session, secret, 120_000).token, 60_000)
    try {
      await connected
      const reply = (await socket.timeout(60_000).emitWithAck('record:join', { ...ref(recordId), tabToken: randomUUID(), intent })) as Ack<JoinReply>
      if (!reply.ok) throw new Error(`record:join ${recordId}: ${reply.error.code}`)
    } catch (error) {
      socket.disconnect()
      if (attempt < 5 && String(error).includes('store_unavailable')) {
        retries += 1
        await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 500))
        continue
      }
      throw error
    }
    sockets.push(socket)
    socket.on('disconnect', () => void (disconnects += 1))
    return
  }
}

serveRequests({
  connect: async (args: LoadConnectArgs) => {
    const started = performance.now()
    const { results, errors } = await pool(args.sockets.length, args.concurrency, async (i) => {
      const [url, recordId, intent, session] = args.sockets[i]!
      await open(args.urls[url]!, args.secret, args.sessions[session]!, recordId, intent)
    })
    return { joined: results.length, errors: errors.length, firstError: errors[0] ?? null, retries, ms: performance.now() - started }
  },
  stats: async () => ({ open: sockets.filter((socket) => socket.connected).length, disconnects }),
  load: async (args: { reset?: boolean }) => sampleLoad(args.reset ?? false),
  close: async () => {
    for (const socket of sockets.splice(0)) socket.disconnect()
    return null
  },
  exit: async () => {
    for (const socket of sockets.splice(0)) socket.disconnect()
    setImmediate(() => process.exit(0))
    return null
  },
})
