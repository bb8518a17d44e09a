/**
 * Clients as browser tabs would be: socket.io-client over WebSocket with the admin's session cookie
 * (one HTTP login per user, the cookie shared by many sockets = many tabs of that user), plus the
 * timing helpers the scenarios share. Every client runs in the bench's own process, so every
 * timestamp comes from one clock (performance.now()).
 */
import { randomUUID } from 'node:crypto'
import { io as connect, type Socket } from 'socket.io-client'
import { PROTOCOL_VERSION, type Ack, type JoinIntent, type JoinReply } from '../../src/protocol.js'
import { login } from '../../test/support/clients.js'
import { BARE_PATH, COLLAB_PATH } from './paths.js'

export const RESOURCE = 'Post'

export type Cookies = { alice: string; bob: string; carol: string; dave: string }
export const USERS = { alice: 'alice@example.com', bob: 'bob@example.com', carol: 'carol@example.com', dave: 'dave@example.com' } as const

/** One login per user (four HTTP requests), whatever the number of sockets. */
export async function loginAll(url: string): Promise<Cookies> {
  const entries = await Promise.all(Object.entries(USERS).map(async ([name, email]) => [name, await login(url, email)] as const))
  return Object.fromEntries(entries) as Cookies
}

/** Editors may join with intent 'edit'; Dave only reads. */
export function editorCookie(cookies: Cookies, i: number): string {
  return [cookies.alice, cookies.bob, cookies.carol][i % 3]!
}

export function anyCookie(cookies: Cookies, i: number): string {
  return [cookies.alice, cookies.bob, cookies.carol, cookies.dave][i % 4]!
}

/** A socket that starts connecting at once; `connected` settles with the outcome. */
export function openCollab(url: string, cookie: string, timeoutMs = 20_000): { socket: Socket; connected: Promise<void> } {
  const socket = connect(url, {
    path: COLLAB_PATH,
    transports: ['websocket'],
    extraHeaders: { cookie },
    auth: { v: PROTOCOL_VERSION },
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
  })
  return { socket, connected: settleConnect(socket) }
}

/**
 * A socket to a socket-tier process (`listen`, issue 15): no cookie, a connection token in the
 * CONNECT packet as the pages send it (each token opens one connection). No Origin header: a
 * non-browser client, which the origin check lets through.
 */
export function openWithToken(url: string, token: string, timeoutMs = 20_000): { socket: Socket; connected: Promise<void> } {
  const socket = connect(url, { path: COLLAB_PATH, transports: ['websocket'], auth: { v: PROTOCOL_VERSION, token }, reconnection: false, forceNew: true, timeout: timeoutMs })
  return { socket, connected: settleConnect(socket) }
}

export function openBare(url: string, timeoutMs = 20_000): { socket: Socket; connected: Promise<void> } {
  const socket = connect(url, { path: BARE_PATH, transports: ['websocket'], reconnection: false, forceNew: true, timeout: timeoutMs })
  return { socket, connected: settleConnect(socket) }
}

function settleConnect(socket: Socket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
      socket.close()
      reject(new Error(`connect_error: ${error.data?.code ?? error.message}`))
    })
  })
}

export async function connectCollab(url: string, cookie: string): Promise<Socket> {
  const { socket, connected } = openCollab(url, cookie)
  await connected
  return socket
}

export async function connectBare(url: string): Promise<Socket> {
  const { socket, connected } = openBare(url)
  await connected
  return socket
}

export class AckTimeout extends Error {}

/** Emits with an acknowledgement; resolves with the reply and how long it took (ms). */
export function ask<T = unknown>(socket: Socket, event: string, payload: unknown, timeoutMs = 10_000): Promise<{ ms: number; reply: Ack<T> }> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (error: Error | null, reply: Ack<T>) => {
      if (error) reject(new AckTimeout(`${event}: no acknowledgement within ${timeoutMs} ms`))
      else resolve({ ms: performance.now() - started, reply })
    })
  })
}

export function ref(recordId: string) {
  return { resourceId: RESOURCE, recordId }
}

/** Joins a post as a tab would (new tab token each time); throws on a refusal. */
export async function joinPost(socket: Socket, recordId: string, intent: JoinIntent, tabToken = randomUUID(), timeoutMs = 10_000): Promise<JoinReply & { ms: number }> {
  const { ms, reply } = await ask<JoinReply>(socket, 'record:join', { ...ref(recordId), tabToken, intent }, timeoutMs)
  if (!reply.ok) throw new Error(`record:join ${recordId} (${intent}): ${reply.error.code}: ${reply.error.message}`)
  return { ...reply.data, ms }
}

export async function joinRoom(socket: Socket, room: string): Promise<void> {
  const { reply } = await ask(socket, 'join', room)
  if (!reply.ok) throw new Error(`bare join: ${reply.error.message}`)
}

/** Runs `task(i)` for i < n with at most `concurrency` at a time; collects results and errors. */
export async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<{ results: T[]; errors: string[] }> {
  const results: T[] = []
  const errors: string[] = []
  let next = 0
  const worker = async () => {
    for (;;) {
      const i = next++
      if (i >= n) return
      try {
        results.push(await task(i))
      } catch (error) {
        errors.push(error instanceof Error ? error.message : String(error))
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker))
  return { results, errors }
}

/** Connects n sockets and prepares each with `setup`; throws if any fails (setups must not). */
export async function connectMany(n: number, concurrency: number, open: (i: number) => Promise<Socket>, setup: (socket: Socket, i: number) => Promise<void>): Promise<Socket[]> {
  const sockets: Socket[] = new Array(n)
  const { errors } = await pool(n, concurrency, async (i) => {
    const socket = await open(i)
    sockets[i] = socket
    await setup(socket, i)
  })
  if (errors.length) {
    closeAll(sockets.filter(Boolean))
    throw new Error(`${errors.length} of ${n} sockets failed to connect or join; first: ${errors[0]}`)
  }
  return sockets
}

export function closeAll(sockets: Iterable<Socket | undefined>): void {
  for (const socket of sockets) socket?.disconnect()
}

/** Cuts the TCP connection without a goodbye, as a crashed tab or a dropped network would. */
export function dropAbruptly(socket: Socket): void {
  const transport = (socket.io as unknown as { engine?: { transport?: { ws?: { terminate?: () => void } } } }).engine?.transport
  if (transport?.ws?.terminate) transport.ws.terminate()
  else socket.disconnect()
}

export interface FanoutResult {
  /** ms from the trigger to each receiver's event, for receivers that got it. */
  latencies: number[]
  /** ms from the trigger to the last receiver's event (NaN if anyone missed it). */
  lastMs: number
  missed: number
  /** Per receiver, in the order of the sockets given: ms, or 0 when it missed the event. */
  times: Float64Array
}

/**
 * Times one event to many receivers: arm a round, trigger, and every receiver's first matching
 * event is stamped. Listeners stay on the sockets between rounds (one per socket).
 */
export class Fanout {
  private round: { t0: number; times: Float64Array; count: number; match: (payload: unknown) => boolean; done: () => void } | undefined
  private readonly listeners: Array<(payload: unknown) => void> = []

  constructor(
    private readonly sockets: Socket[],
    private readonly event: string,
  ) {
    sockets.forEach((socket, i) => {
      const listener = (payload: unknown) => this.seen(i, payload)
      this.listeners.push(listener)
      socket.on(event, listener)
    })
  }

  private seen(i: number, payload: unknown): void {
    const round = this.round
    if (!round || round.times[i] !== 0 || !round.match(payload)) return
    round.times[i] = performance.now() - round.t0 || Number.MIN_VALUE
    round.count += 1
    if (round.count === this.sockets.length) round.done()
  }

  async measure(trigger: () => unknown, match: (payload: unknown) => boolean, timeoutMs: number): Promise<FanoutResult> {
    const times = new Float64Array(this.sockets.length)
    let timer: NodeJS.Timeout | undefined
    const finished = new Promise<void>((resolve) => {
      this.round = { t0: performance.now(), times, count: 0, match, done: resolve }
      timer = setTimeout(resolve, timeoutMs)
    })
    await trigger()
    await finished
    clearTimeout(timer)
    const round = this.round!
    this.round = undefined
    const latencies = Array.from(times).filter((t) => t > 0)
    const missed = this.sockets.length - round.count
    return { latencies, lastMs: missed ? Number.NaN : Math.max(...latencies), missed, times }
  }

  dispose(): void {
    this.sockets.forEach((socket, i) => socket.off(this.event, this.listeners[i]))
  }
}
