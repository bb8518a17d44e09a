/**
 * Real clients for tests: an HTTP login through @adminjs/express (yielding its session cookie) and
 * socket.io-client sockets that carry that cookie, exactly as a browser tab would.
 */
import { io as connect, type Socket } from 'socket.io-client'
import { PROTOCOL_VERSION, type Ack, type ClientToServerEvents, type ServerToClientEvents } from '../../src/protocol.js'

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>

export const PASSWORD = 'password'

/** Logs in through the admin's login form and returns the `name=value` session cookie. */
export async function login(baseUrl: string, email: string, rootPath = '/admin'): Promise<string> {
  const response = await fetch(`${baseUrl}${rootPath}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password: PASSWORD }),
    redirect: 'manual',
  })
  const cookie = response.headers
    .getSetCookie()
    .find((c) => c.length > 0)
    ?.split(';')[0]
  if (response.status !== 302 || !cookie) throw new Error(`login of ${email} failed: HTTP ${response.status}`)
  return cookie
}

export interface ConnectOptions {
  cookie?: string
  origin?: string
  version?: number
  path?: string
  /** A separate socket server's connection token (the CONNECT packet's `auth.token`). */
  token?: unknown
}

/** Opens a socket like a browser tab would; resolves once connected, rejects with the connect_error. */
export async function openSocket(baseUrl: string, options: ConnectOptions = {}): Promise<TestSocket> {
  const headers: Record<string, string> = {}
  if (options.cookie) headers.cookie = options.cookie
  if (options.origin) headers.origin = options.origin
  const socket: TestSocket = connect(baseUrl, {
    path: options.path ?? '/admin/collaborator/socket.io',
    transports: ['websocket'],
    extraHeaders: headers,
    auth: { v: options.version ?? PROTOCOL_VERSION, ...(options.token === undefined ? {} : { token: options.token }) },
    reconnection: false,
    forceNew: true,
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', (error) => {
      socket.close()
      reject(error)
    })
  })
  return socket
}

/** What the server's refusal probe says it would make of a socket from `origin` with `cookie`. */
export async function refusalFor(baseUrl: string, { cookie, origin }: { cookie?: string; origin: string }, path = '/admin/collaborator/socket.io'): Promise<string | null> {
  const response = await fetch(`${baseUrl}${path}-status?origin=${encodeURIComponent(origin)}`, { headers: cookie ? { cookie } : {} })
  if (!response.ok) throw new Error(`refusal probe: HTTP ${response.status}`)
  return ((await response.json()) as { code: string | null }).code
}

/** Emits an event and resolves with its acknowledgement (the server always answers). */
export function request<T>(socket: TestSocket, event: string, ...args: unknown[]): Promise<Ack<T>> {
  return (socket.timeout(5000) as unknown as Socket).emitWithAck(event, ...args) as Promise<Ack<T>>
}

/** Resolves with the next event of that name that matches, or rejects after timeoutMs. */
export function nextEvent<T>(socket: TestSocket, event: string, matches: (payload: T) => boolean = () => true, timeoutMs = 5000): Promise<T> {
  const untyped = socket as unknown as Socket
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      untyped.off(event, listener)
      reject(new Error(`no ${event} within ${timeoutMs} ms`))
    }, timeoutMs)
    const listener = (payload: T) => {
      if (!matches(payload)) return
      clearTimeout(timer)
      untyped.off(event, listener)
      resolve(payload)
    }
    untyped.on(event, listener)
  })
}

/** Collects every event of that name from now on, for asserting that something did NOT arrive. */
export function recordEvents<T>(socket: TestSocket, event: string): T[] {
  const seen: T[] = []
  ;(socket as unknown as Socket).on(event, (payload: T) => seen.push(payload))
  return seen
}

export function newTabToken(): string {
  return crypto.randomUUID()
}

export function unwrap<T>(reply: Ack<T>): T {
  if (!reply.ok) throw new Error(`expected ok, got ${reply.error.code}: ${reply.error.message}`)
  return reply.data
}
