/**
 * A raw Engine.IO v4 / Socket.IO v5 client over a bare WebSocket, for hostile tests: it sends any
 * frame, well-formed or not, which socket.io-client never would. It answers the server's pings so
 * the connection lives as long as the test wants it to.
 */
import WebSocket from 'ws'
import { PROTOCOL_VERSION } from '../../src/protocol.js'

export interface RawSocketOptions {
  cookie?: string
  origin?: string
  path?: string
}

export class RawSocket {
  readonly frames: Array<string | Buffer> = []
  private readonly waiters = new Set<() => void>()
  closed = false
  closeCode: number | undefined

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const frame = isBinary ? (data as Buffer) : data.toString()
      if (frame === '2') this.sendRaw('3') // Engine.IO ping → pong
      this.frames.push(frame)
      for (const wake of this.waiters) wake()
    })
    ws.on('close', (code) => {
      this.closed = true
      this.closeCode = code
      for (const wake of this.waiters) wake()
    })
    ws.on('error', () => undefined)
  }

  /** Opens the WebSocket and, unless `connect` is false, sends the Socket.IO CONNECT with our protocol version. */
  static async open(baseUrl: string, options: RawSocketOptions = {}, connect = true): Promise<RawSocket> {
    const url = `${baseUrl.replace(/^http/, 'ws')}${options.path ?? '/admin/collaborator/socket.io'}/?EIO=4&transport=websocket`
    const headers: Record<string, string> = {}
    if (options.cookie) headers.cookie = options.cookie
    if (options.origin) headers.origin = options.origin
    const ws = new WebSocket(url, { headers })
    // Listening from the start: the open packet can arrive in the same tick as the upgrade.
    const socket = new RawSocket(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)))
      ws.once('error', reject)
    })
    await socket.next((frame) => typeof frame === 'string' && frame.startsWith('0'), 'the Engine.IO open packet')
    if (connect) {
      socket.sendRaw(`40${JSON.stringify({ v: PROTOCOL_VERSION })}`)
      await socket.next((frame) => typeof frame === 'string' && frame.startsWith('40'), 'the Socket.IO CONNECT reply')
    }
    return socket
  }

  /** Sends the frame if the connection is open; false when it is not (nothing was sent). */
  sendRaw(frame: string | Buffer): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false
    this.ws.send(frame)
    return true
  }

  /** An EVENT packet: `42[id][event, ...args]`. */
  emit(id: number | null, ...data: unknown[]): void {
    this.sendRaw(`42${id ?? ''}${JSON.stringify(data)}`)
  }

  /** The next frame (from now on, or already received and not taken) that matches. */
  next(matches: (frame: string | Buffer) => boolean, what = 'a matching frame', timeoutMs = 5000): Promise<string | Buffer> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.frames.findIndex(matches)
        if (index >= 0) {
          const [frame] = this.frames.splice(index, 1)
          return frame
        }
        return undefined
      }
      const found = check()
      if (found !== undefined) return resolve(found)
      // Closed already: nothing more will come (and no wake-up would ever say so).
      if (this.closed) return reject(new Error(`closed (${this.closeCode}) before ${what}`))
      const timer = setTimeout(() => {
        this.waiters.delete(wake)
        reject(new Error(`no ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      const wake = () => {
        const frame = check()
        if (frame !== undefined) {
          clearTimeout(timer)
          this.waiters.delete(wake)
          resolve(frame)
        } else if (this.closed) {
          clearTimeout(timer)
          this.waiters.delete(wake)
          reject(new Error(`closed (${this.closeCode}) before ${what}`))
        }
      }
      this.waiters.add(wake)
    })
  }

  /** The acknowledgement of packet `id`: `43<id>[reply]`, parsed. */
  async ack(id: number, timeoutMs = 5000): Promise<unknown> {
    const frame = (await this.next((f) => typeof f === 'string' && new RegExp(`^43${id}\\[`).test(f), `ack ${id}`, timeoutMs)) as string
    return (JSON.parse(frame.slice(2 + String(id).length)) as unknown[])[0]
  }

  /** Resolves with the close code once the connection is closed (by either side). */
  whenClosed(timeoutMs = 5000): Promise<number | undefined> {
    return this.next(() => false, 'nothing', timeoutMs).then(
      () => this.closeCode,
      (error: unknown) => {
        if (this.closed) return this.closeCode
        throw error
      },
    )
  }

  close(): void {
    this.ws.terminate()
  }
}
