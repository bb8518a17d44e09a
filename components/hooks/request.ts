/**
 * Sends one client-to-server event and waits for its acknowledgement, typed from the protocol.
 * A reply always arrives: the server's own (data or error), or a local error when the socket is
 * down or the server stays silent too long. Callers decide what to show; nothing is dropped here.
 */
import { ErrorCode, type Ack, type AckCallback, type ClientToServerEvents } from '../../src/protocol'
import type { TextKey } from '../../src/texts'
import type { CollaborationSocket } from './socket-client'

/** Beyond this the request counts as lost (the server answers in milliseconds unless Redis hangs). */
export const ACK_TIMEOUT_MS = 10_000

/** Local conditions that never come from the server. */
export const LocalErrorCode = {
  /** Not sent: the socket is not connected (Socket.IO would otherwise buffer it for later). */
  Disconnected: 'disconnected',
  /** Sent, but no acknowledgement arrived within ACK_TIMEOUT_MS (or the connection dropped). */
  Timeout: 'timeout',
} as const
export type LocalErrorCode = (typeof LocalErrorCode)[keyof typeof LocalErrorCode]

export interface ClientError {
  code: ErrorCode | LocalErrorCode
  message: string
  /** With `rate_limited`: when the server will accept the same request again. */
  retryInMs?: number
  /** The page's text for it when its code alone does not say (an error of the page's own). */
  textKey?: TextKey
}

export type Reply<T> = { ok: true; data: T } | { ok: false; error: ClientError }

type EventName = keyof ClientToServerEvents
type RequestOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[0]
type ReplyOf<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends AckCallback<infer T> ? T : never

/** The untyped shape of `socket.timeout(ms).emit`, to call it through one generic helper. */
interface TimedEmitter {
  emit(event: string, payload: unknown, callback: (err: Error | null, reply: Ack<unknown>) => void): unknown
}

export function request<E extends EventName>(socket: CollaborationSocket, event: E, payload: RequestOf<E>): Promise<Reply<ReplyOf<E>>> {
  return new Promise((resolve) => {
    if (!socket.connected) {
      resolve({ ok: false, error: { code: LocalErrorCode.Disconnected, message: `${event}: not connected` } })
      return
    }
    const emitter = socket.timeout(ACK_TIMEOUT_MS) as unknown as TimedEmitter
    emitter.emit(event, payload, (err, reply) => {
      if (err) {
        resolve({ ok: false, error: { code: LocalErrorCode.Timeout, message: `${event}: no reply from the collaboration server` } })
      } else {
        resolve(reply as Reply<ReplyOf<E>>)
      }
    })
  })
}

/** Errors worth retrying by ourselves: the condition is expected to pass. */
export function isTransient(error: ClientError): boolean {
  return error.code === ErrorCode.StoreUnavailable || error.code === ErrorCode.RateLimited || error.code === ErrorCode.Internal || error.code === LocalErrorCode.Timeout
}
