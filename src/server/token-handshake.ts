/**
 * A separate socket server's handshake (#15): the CONNECT packet carries the admin's connection
 * token (`auth.token`), checked here before anything else of the socket is set up: its signature
 * and time (socket-token.ts), then spent once in the store (a replay, on any process, is refused),
 * then the session it names read from the shared session store, which must still be logged in as
 * the token's user. What follows is the cookie handshake's: `requireAdmin` takes the session.
 */
import type { Socket } from 'socket.io'
import { ErrorCode } from '../protocol.js'
import type { AdminUser } from '../options.js'
import type { UserView } from '../protocol.js'
import type { TokenLedger } from '../store/store.js'
import { adminSessionOf, connectError, type HandshakeSessions } from './auth.js'
import type { CollabServer } from './context.js'
import type { SessionReads } from './handshake-session.js'
import { verifyToken } from './socket-token.js'

export interface TokenHandshakeDeps {
  secret: string
  tokens: TokenLedger
  sessions: SessionReads
  handshakes: HandshakeSessions
  identify: (admin: AdminUser) => UserView
}

export function tokenHandshake(io: CollabServer, deps: TokenHandshakeDeps): void {
  io.use(async (socket: Socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token
    if (token === undefined) return next(connectError(ErrorCode.Unauthenticated, 'no connection token: the page asks the admin for one'))
    const checked = verifyToken(token, deps.secret)
    if (!checked.ok) return next(connectError(checked.code, checked.reason))
    const { claims } = checked
    try {
      if (!(await deps.tokens.spend(claims.id, claims.expiresAtMs - Date.now()))) return next(connectError(ErrorCode.TokenReplayed, 'this connection token was used already'))
    } catch {
      return next(connectError(ErrorCode.StoreUnavailable, 'the collaboration store cannot be reached'))
    }
    let session
    try {
      session = adminSessionOf({ sessionId: claims.sessionId, data: await deps.sessions.read(claims.sessionId) })
    } catch {
      return next(connectError(ErrorCode.StoreUnavailable, 'the session store cannot be read'))
    }
    if (!session) return next(connectError(ErrorCode.Unauthenticated, 'the session of this token has ended'))
    let userId: string
    try {
      userId = deps.identify(session.adminUser).id
    } catch {
      return next(connectError(ErrorCode.Internal, 'internal error'))
    }
    if (userId !== claims.userId) return next(connectError(ErrorCode.Unauthenticated, 'the session is no longer this user'))
    deps.handshakes.put(socket.request, session)
    next()
  })
}
