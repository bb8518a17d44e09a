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
import { useEffect, useState } from 'react'
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

  useEffect(() => {
    let probing = false
    const onConnect = () => {
      setStatus('online')
      setRefusal(null)
      // A server whose store is down says so right after connecting.
      setStoreAvailable(true)
    }
    const onServerStatus = (server: { storeAvailable: boolean }) => setStoreAvailable(server.storeAvailable)
    const onDisconnect = () => setStatus('offline')
    const onSessionEnded = (event: SessionEndedEvent) => setRefusal({ code: event.code, message: event.message })
    const onConnectError = (error: Error & { data?: { code?: ErrorCode } }) => {
      setStatus('offline')
      // A refusal by the server's middleware carries a code; a refused upgrade does not, and is
      // retried by Socket.IO by itself: ask the probe once per streak of failures why.
      const code = error.data?.code
      if (code) return setRefusal({ code, message: error.message })
      if (probing) return
      probing = true
      void askWhyRefused(socket.io.opts.path ?? '/socket.io').then((why) => {
        if (why === ErrorCode.BadOrigin || why === ErrorCode.Unauthenticated) setRefusal({ code: why, message: error.message })
      })
    }
    // The provider connects after its children's effects ran: only an open socket is news here.
    if (socket.connected) setStatus('online')
    const onAnyConnect = () => {
      probing = false
    }
    socket.on('connect', onConnect)
    socket.on('connect', onAnyConnect)
    socket.on('disconnect', onDisconnect)
    socket.on('connect_error', onConnectError)
    socket.on('server:status', onServerStatus)
    socket.on('session:ended', onSessionEnded)
    return () => {
      socket.off('connect', onConnect)
      socket.off('connect', onAnyConnect)
      socket.off('disconnect', onDisconnect)
      socket.off('connect_error', onConnectError)
      socket.off('server:status', onServerStatus)
      socket.off('session:ended', onSessionEnded)
    }
  }, [socket])

  return { status: status === 'online' && !storeAvailable ? 'offline' : status, refusal }
}
