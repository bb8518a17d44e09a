/**
 * A refused WebSocket upgrade tells the browser nothing (an error event, no status, no body), so a
 * page whose origin is refused would say "offline, reconnecting" forever. Beside the socket path,
 * this answers a plain GET with the reason the server would refuse that page:
 *
 *   GET `${socketPath}-status?origin=<the page's location.origin>`  →  { code: 'bad_origin' | 'unauthenticated' | null }
 *
 * Browsers send no Origin header on a same-origin GET, hence the parameter: the answer is only a
 * diagnosis for the page and grants nothing. It is served ahead of the app's own request handlers,
 * the way Engine.IO serves its path.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import { refusalProbePath, type ConnectRefusalReply } from '../protocol.js'
import { refusalOf, type OriginPolicy } from './auth.js'
import type { RequestSession } from './handshake-session.js'

/** The request's session, as the handshake reads it; rejects when the store cannot be read. */
export type ReadSession = (req: IncomingMessage) => Promise<RequestSession | null>
type RequestListener = (req: IncomingMessage, res: ServerResponse) => void

export function serveRefusalProbe(httpServer: HttpServer, socketPath: string, policy: OriginPolicy, readSession: ReadSession): () => void {
  const path = refusalProbePath(socketPath)
  const others = httpServer.listeners('request') as RequestListener[]
  const listener: RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://probe')
    if (url.pathname !== path || req.method !== 'GET') {
      for (const other of others) other.call(httpServer, req, res)
      return
    }
    const origin = url.searchParams.get('origin') ?? undefined
    const answer = (reply: ConnectRefusalReply) => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify(reply))
    }
    readSession(req).then(
      (session) => answer({ code: refusalOf(req, policy, session, origin) }),
      // The session store being away is no verdict on this page: say nothing rather than "logged out".
      () => answer({ code: null }),
    )
  }
  httpServer.removeAllListeners('request')
  httpServer.on('request', listener)
  return () => {
    httpServer.off('request', listener)
    for (const other of others) httpServer.on('request', other)
  }
}
