/**
 * Who is on the other end of a socket. The handshake must carry the AdminJS session cookie
 * (the express-session store and cookie that @adminjs/express wrote at login) and come from the
 * admin's own origin; otherwise there is no connection at all.
 */
import type { IncomingMessage } from 'node:http'
import session, { type SessionOptions } from 'express-session'
import type { Server, Socket } from 'socket.io'
import { ErrorCode, PROTOCOL_VERSION, type UserView } from '../protocol.js'
import type { AdminUser } from '../options.js'

export interface SessionAuth {
  /** The options given to buildAuthenticatedRouter, including the shared `store`. */
  session: SessionOptions
  cookieName?: string
  cookiePassword: string
}

/** Same session as the admin login: same store instance, same cookie name, same secret. */
export function useAdminSession(io: Server, auth: SessionAuth): void {
  const middleware = session({ ...auth.session, secret: auth.cookiePassword, name: auth.cookieName ?? 'adminjs' })
  io.engine.use(middleware)
}

/**
 * Browsers always send Origin on WebSocket and cross-origin requests. Refusing foreign origins
 * stops another site from opening a socket with the admin's cookie (cross-site WebSocket hijacking).
 * Requests without Origin come from non-browser clients, which cannot borrow a browser's cookie.
 */
export function isAllowedOrigin(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin
  if (!origin) return true
  if (allowedOrigins.includes(origin)) return true
  try {
    return new URL(origin).host === req.headers.host
  } catch {
    return false
  }
}

function connectError(code: ErrorCode, message: string): Error & { data: { code: ErrorCode } } {
  return Object.assign(new Error(message), { data: { code } })
}

/** Refuses sockets without a logged-in admin or with another protocol version. */
export function requireAdmin(io: Server, identify: (admin: AdminUser) => UserView): void {
  io.use((socket: Socket, next) => {
    const version = (socket.handshake.auth as { v?: unknown } | undefined)?.v
    if (version !== PROTOCOL_VERSION) {
      return next(connectError(ErrorCode.VersionMismatch, `protocol version ${String(version)} is not ${PROTOCOL_VERSION}; reload the page`))
    }
    const request = socket.request as IncomingMessage & { session?: { adminUser?: AdminUser } }
    const adminUser = request.session?.adminUser
    if (!adminUser || typeof adminUser !== 'object') {
      return next(connectError(ErrorCode.Unauthenticated, 'no logged-in AdminJS session'))
    }
    socket.data.adminUser = adminUser
    socket.data.user = identify(adminUser)
    next()
  })
}
