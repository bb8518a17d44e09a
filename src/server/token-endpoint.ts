/**
 * The admin's side of a separate socket tier (#15): `GET <rootPath>/collaborator/token` answers the
 * logged-in admin's page with a fresh connection token (socket-token.ts), read from the same
 * session cookie the admin's own routes read; without a logged-in session, 401. Served ahead of the
 * app's request handlers, the way the refusal probe is. A foreign page cannot read the answer: no
 * CORS header is sent, and the cookie is the admin's own.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import { ErrorCode, type SocketTokenReply } from '../protocol.js'
import type { AdminUser } from '../options.js'
import type { UserView } from '../protocol.js'
import { adminSessionOf } from './auth.js'
import type { ReadSession } from './refusal-probe.js'
import { issueToken } from './socket-token.js'

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

export interface TokenEndpointDeps {
  path: string
  readSession: ReadSession
  identify: (admin: AdminUser) => UserView
  secret: string
  ttlMs: number
}

export function serveTokens(httpServer: HttpServer, deps: TokenEndpointDeps): () => void {
  const others = httpServer.listeners('request') as RequestListener[]
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(JSON.stringify(body))
  }
  const listener: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://tokens')
    if (url.pathname !== deps.path) {
      for (const other of others) other.call(httpServer, req, res)
      return
    }
    if (req.method !== 'GET') return answer(res, 405, { code: ErrorCode.InvalidPayload })
    deps.readSession(req).then(
      (found) => {
        const session = adminSessionOf(found)
        if (!session) return answer(res, 401, { code: ErrorCode.Unauthenticated })
        let userId: string
        try {
          userId = deps.identify(session.adminUser).id
        } catch {
          return answer(res, 500, { code: ErrorCode.Internal })
        }
        const { token, expiresAtMs } = issueToken({ sessionId: session.sessionId, userId }, deps.secret, deps.ttlMs)
        const reply: SocketTokenReply = { token, expiresInMs: expiresAtMs - Date.now() }
        answer(res, 200, reply)
      },
      () => answer(res, 503, { code: ErrorCode.StoreUnavailable }),
    )
  }
  httpServer.removeAllListeners('request')
  httpServer.on('request', listener)
  return () => {
    httpServer.off('request', listener)
    for (const other of others) httpServer.on('request', other)
  }
}
