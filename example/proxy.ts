/**
 * A small reverse proxy for the cluster example, on node:http and node:net only: the stand-in for
 * the load balancer of a real deployment. WebSocket upgrades (the collaboration's sockets) go to the
 * workers in turn, so two tabs of the same page usually land on different processes; plain HTTP
 * requests go to one chosen worker (see cluster.ts for why).
 *
 * Headers pass through unchanged, Host included: the socket server compares a browser's Origin
 * with the Host it was asked for, and express-session's cookie is the one the browser sent.
 */
import http from 'node:http'
import net from 'node:net'

export interface Backend {
  name: string
  host: string
  port: number
}

export interface ProxyOptions {
  host: string
  port: number
  /** Where plain HTTP requests go. */
  http: () => Backend | undefined
  /** The workers WebSocket upgrades are spread over, in turn; read on every upgrade. */
  websocket: () => Backend[]
  log: (message: string) => void
  /**
   * Send this Host upstream instead of the browser's, as a proxy configured without
   * `proxy_set_header Host $host` does: the tests show what the admin then says and logs.
   */
  rewriteHost?: string
}

export async function startProxy(options: ProxyOptions): Promise<http.Server> {
  let turn = 0
  const server = http.createServer((req, res) => {
    const backend = options.http()
    if (!backend) return void res.writeHead(503, { 'content-type': 'text/plain' }).end('no worker to serve this\n')
    const headers = options.rewriteHost ? { ...req.headers, host: options.rewriteHost } : req.headers
    const upstream = http.request({ host: backend.host, port: backend.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`${backend.name} did not answer\n`)
    })
    req.pipe(upstream)
  })

  // An upgrade is forwarded as raw bytes: the request head rebuilt as it came, then both ways piped.
  server.on('upgrade', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const backends = options.websocket()
    const backend = backends[turn++ % Math.max(backends.length, 1)]
    if (!backend) return void client.destroy()
    const upstream = net.connect(backend.port, backend.host, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`]
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!
        const value = options.rewriteHost && name.toLowerCase() === 'host' ? options.rewriteHost : req.rawHeaders[i + 1]
        lines.push(`${name}: ${value}`)
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`)
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
      options.log(`WebSocket from ${req.socket.remoteAddress} -> ${backend.name}`)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.on('close', () => upstream.destroy())
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return server
}
