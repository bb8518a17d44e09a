/**
 * One Socket.IO client per browser page, shared by every collaborator component on it.
 * Components retain it while mounted; the last release disconnects it after a short delay, so
 * moving between records inside the AdminJS single-page app reuses the open connection.
 */
import { io, type Socket } from 'socket.io-client'
import {
  PROTOCOL_VERSION,
  defaultSocketPath,
  socketTokenPath,
  type ClientToServerEvents,
  type HandshakeAuth,
  type ServerToClientEvents,
  type SocketTokenReply,
} from '../../src/protocol'
import { COMPONENT_CONFIG_KEY, type ComponentConfig } from '../../src/component-config'

export type CollaborationSocket = Socket<ServerToClientEvents, ClientToServerEvents>

/** Long enough for a `record:leave` sent by an unmounting component to leave before the socket closes. */
const DISCONNECT_DELAY_MS = 2000

interface SharedSocket {
  socket: CollaborationSocket
  users: number
  disconnectTimer?: ReturnType<typeof setTimeout>
}

const shared = new Map<string, SharedSocket>()

interface AdminJSWindow {
  REDUX_STATE?: {
    paths?: { rootPath?: string; loginPath?: string }
    resources?: Array<{ actions?: Array<{ name: string; custom?: Record<string, unknown> }> }>
  }
}

/**
 * Where the sockets are served when not by the admin itself (the `socketUrl` option, the same for
 * every resource): read from the feature's settings AdminJS puts in the page's state.
 */
function socketUrlOfPage(): string | undefined {
  for (const resource of (window as Window & AdminJSWindow).REDUX_STATE?.resources ?? []) {
    const config = resource.actions?.find((action) => action.name === 'edit')?.custom?.[COMPONENT_CONFIG_KEY] as ComponentConfig | undefined
    if (config) return config.socketUrl
  }
  return undefined
}

/**
 * The handshake for a socket server apart from the admin: a fresh token from the admin for every
 * attempt (each opens one connection). Without one (logged out, the admin away) the attempt goes
 * without, and the server says why (`unauthenticated`).
 */
function withToken(auth: HandshakeAuth): (callback: (auth: HandshakeAuth) => void) => void {
  return (callback) => {
    fetch(socketTokenPath(adminRootPath()), { credentials: 'same-origin', cache: 'no-store' })
      .then((response) => (response.ok ? (response.json() as Promise<SocketTokenReply>) : null))
      .then(
        (reply) => callback(reply ? { ...auth, token: reply.token } : { ...auth }),
        () => callback({ ...auth }),
      )
  }
}

/** AdminJS 7 writes its paths into `window.REDUX_STATE.paths` in the page layout. */
export function adminRootPath(): string {
  return (window as Window & AdminJSWindow).REDUX_STATE?.paths?.rootPath ?? '/admin'
}

/** Where the admin logs in (a custom rootPath comes with its own loginPath). */
export function adminLoginPath(): string {
  return (window as Window & AdminJSWindow).REDUX_STATE?.paths?.loginPath ?? `${adminRootPath().replace(/\/+$/, '')}/login`
}

export function socketPathFor(configuredPath: string | undefined): string {
  return configuredPath ?? defaultSocketPath(adminRootPath())
}

function entryFor(path: string): SharedSocket {
  let entry = shared.get(path)
  if (!entry) {
    const auth: HandshakeAuth = { v: PROTOCOL_VERSION }
    const socketUrl = socketUrlOfPage()
    const socket: CollaborationSocket = io(socketUrl ?? window.location.origin, {
      path,
      transports: ['websocket'],
      auth: socketUrl ? withToken(auth) : { ...auth },
      // Connected on first retain, after the components' listeners are in place.
      autoConnect: false,
    })
    entry = { socket, users: 0 }
    shared.set(path, entry)
  }
  return entry
}

/** The page's socket for `path`; it connects once someone retains it. */
export function getSocket(path: string): CollaborationSocket {
  return entryFor(path).socket
}

export function retainSocket(path: string): void {
  const entry = entryFor(path)
  entry.users += 1
  clearTimeout(entry.disconnectTimer)
  entry.disconnectTimer = undefined
  // `active` stays true while the client retries by itself; only a closed socket needs a push.
  if (!entry.socket.active) entry.socket.connect()
}

export function releaseSocket(path: string): void {
  const entry = shared.get(path)
  if (!entry) return
  entry.users = Math.max(0, entry.users - 1)
  if (entry.users > 0) return
  clearTimeout(entry.disconnectTimer)
  entry.disconnectTimer = setTimeout(() => {
    if (entry.users === 0) entry.socket.disconnect()
  }, DISCONNECT_DELAY_MS)
}
