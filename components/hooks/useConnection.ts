/**
 * Whether the page's socket is connected, and why not when the server refused it. A server that
 * cannot reach its store (Redis) says so with `server:status`: the page is offline then too, since
 * locks cannot be checked and nobody's changes arrive.
 */
import { useEffect, useState } from 'react'
import { useCollaborationSocket } from './collaboration-context'
import type { ClientError } from './request'
import type { ErrorCode } from '../../src/protocol'

export type ConnectionStatus = 'connecting' | 'online' | 'offline'

export interface Connection {
  status: ConnectionStatus
  /** Set when the server refused the handshake (not logged in, wrong origin or version). */
  refusal: ClientError | null
}

export function useConnection(): Connection {
  const socket = useCollaborationSocket()
  const [status, setStatus] = useState<ConnectionStatus>(socket.connected ? 'online' : 'connecting')
  const [refusal, setRefusal] = useState<ClientError | null>(null)
  const [storeAvailable, setStoreAvailable] = useState(true)

  useEffect(() => {
    const onConnect = () => {
      setStatus('online')
      setRefusal(null)
      // A server whose store is down says so right after connecting.
      setStoreAvailable(true)
    }
    const onServerStatus = (server: { storeAvailable: boolean }) => setStoreAvailable(server.storeAvailable)
    const onDisconnect = () => setStatus('offline')
    const onConnectError = (error: Error & { data?: { code?: ErrorCode } }) => {
      setStatus('offline')
      // A refusal by the server's middleware carries a code; a transport failure does not and
      // is retried by Socket.IO by itself, so the offline notice says enough.
      const code = error.data?.code
      if (code) setRefusal({ code, message: error.message })
    }
    // The provider connects after its children's effects ran: only an open socket is news here.
    if (socket.connected) setStatus('online')
    socket.on('connect', onConnect)
    socket.on('disconnect', onDisconnect)
    socket.on('connect_error', onConnectError)
    socket.on('server:status', onServerStatus)
    return () => {
      socket.off('connect', onConnect)
      socket.off('disconnect', onDisconnect)
      socket.off('connect_error', onConnectError)
      socket.off('server:status', onServerStatus)
    }
  }, [socket])

  return { status: status === 'online' && !storeAvailable ? 'offline' : status, refusal }
}
