/**
 * Whether the page's socket is connected, and why not when the server refused it. A server that
 * cannot reach its store (Redis) says so with `server:status`: the page is offline then too, since
 * locks cannot be checked and nobody's changes arrive.
 *
 * Refusals the page tells apart (everything else is "offline, reconnecting"):
 * - the session ended while connected: the server says `session:ended`, then closes the socket;
 * - the handshake was refused before the WebSocket opened (no session, a foreign origin): the
 *   browser learns nothing from a refused upgrade, so the page asks the server's refusal probe.
 */
import { useEffect, useRef, useState } from 'react'
import { useSocketEvent } from './useRecordEvent'
import { useCollaborationSocket } from './collaboration-context'
import type { ClientError } from './request'
import { ErrorCode, refusalProbePath, type ConnectRefusalReply, type SessionEndedEvent } from '../../src/protocol'

export type ConnectionStatus = 'connecting' | 'online' | 'offline'

export interface Connection {
  status: ConnectionStatus
  /** Set when the server refused the handshake or ended the session (not logged in, wrong origin or version). */
  refusal: ClientError | null
}

/** Why the server refuses this page's socket, per its probe; null when it would not, or cannot say. */
async function askWhyRefused(socketPath: string): Promise<ConnectRefusalReply['code']> {
  try {
    const response = await fetch(`${refusalProbePath(socketPath)}?origin=${encodeURIComponent(window.location.origin)}`, { credentials: 'same-origin', cache: 'no-store' })
    if (!response.ok) return null
    return ((await response.json()) as ConnectRefusalReply).code
  } catch {
    return null
  }
}

export function useConnection(): Connection {
  const socket = useCollaborationSocket()
  const [status, setStatus] = useState<ConnectionStatus>(socket.connected ? 'online' : 'connecting')
  const [refusal, setRefusal] = useState<ClientError | null>(null)
  const [storeAvailable, setStoreAvailable] = useState(true)

  // One probe per streak of failed connections: reset by the next connect.
  const probing = useRef(false)
  // The provider connects after its children's effects ran: only an open socket is news here.
  useEffect(() => {
    if (socket.connected) setStatus('online')
  }, [socket])
  useSocketEvent('connect', () => {
    probing.current = false
    setStatus('online')
    setRefusal(null)
    // A server whose store is down says so right after connecting.
    setStoreAvailable(true)
  })
  useSocketEvent('disconnect', () => setStatus('offline'))
  useSocketEvent('server:status', (server) => setStoreAvailable(server.storeAvailable))
  useSocketEvent('session:ended', (event: SessionEndedEvent) => setRefusal({ code: event.code, message: event.message }))
  useSocketEvent('connect_error', (error) => {
    setStatus('offline')
    // A refusal by the server's middleware carries a code; a refused upgrade does not, and is
    // retried by Socket.IO by itself: ask the probe once per streak of failures why.
    const code = error.data?.code as ErrorCode | undefined
    if (code) return setRefusal({ code, message: error.message })
    if (probing.current) return
    probing.current = true
    void askWhyRefused(socket.io.opts.path ?? '/socket.io').then((why) => {
      if (why === ErrorCode.BadOrigin || why === ErrorCode.Unauthenticated) setRefusal({ code: why, message: error.message })
    })
  })

  return { status: status === 'online' && !storeAvailable ? 'offline' : status, refusal }
}
