/** Whether the page's socket is connected, and why not when the server refused it. */
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

  useEffect(() => {
    const onConnect = () => {
      setStatus('online')
      setRefusal(null)
    }
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
    return () => {
      socket.off('connect', onConnect)
      socket.off('disconnect', onDisconnect)
      socket.off('connect_error', onConnectError)
    }
  }, [socket])

  return { status, refusal }
}
