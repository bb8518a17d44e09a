/**
 * Listens to one server event about one record for as long as the component is mounted, with the
 * handler kept in a ref (hocuspocus' useHocuspocusEvent): components never pair `on`/`off` by hand,
 * a new handler each render re-subscribes nothing, and events about other records never reach it.
 */
import { useEffect, useRef } from 'react'
import type { RecordRef, ServerToClientEvents } from '../../src/protocol'
import { useCollaborationSocket } from './collaboration-context'

/** The server events whose payload names a record. */
type RecordEvent = { [E in keyof ServerToClientEvents]: Parameters<ServerToClientEvents[E]>[0] extends RecordRef ? E : never }[keyof ServerToClientEvents]
type PayloadOf<E extends RecordEvent> = Parameters<ServerToClientEvents[E]>[0]

export function useRecordEvent<E extends RecordEvent>(event: E, { resourceId, recordId }: RecordRef, handler: (payload: PayloadOf<E>) => void): void {
  const socket = useCollaborationSocket()
  const handlerRef = useRef(handler)
  handlerRef.current = handler

  useEffect(() => {
    const listener = (payload: PayloadOf<E>) => {
      if (payload.resourceId === resourceId && payload.recordId === recordId) handlerRef.current(payload)
    }
    const untyped = socket as unknown as { on(event: string, listener: (payload: PayloadOf<E>) => void): void; off(event: string, listener: (payload: PayloadOf<E>) => void): void }
    untyped.on(event, listener)
    return () => untyped.off(event, listener)
  }, [socket, event, resourceId, recordId])
}

/** Events about the connection itself, and the server's own ones that name no record. */
type SocketEvent = 'connect' | 'disconnect' | 'connect_error' | Exclude<keyof ServerToClientEvents, RecordEvent>
type SocketPayloadOf<E extends SocketEvent> = E extends keyof ServerToClientEvents
  ? Parameters<ServerToClientEvents[E]>[0]
  : E extends 'connect_error'
    ? Error & { data?: { code?: string } }
    : E extends 'disconnect'
      ? string
      : void

/** `useRecordEvent` for the socket's own events (connect, disconnect, …) and server-wide ones. */
export function useSocketEvent<E extends SocketEvent>(event: E, handler: (payload: SocketPayloadOf<E>) => void): void {
  const socket = useCollaborationSocket()
  const handlerRef = useRef(handler)
  handlerRef.current = handler

  useEffect(() => {
    const listener = (payload: SocketPayloadOf<E>) => handlerRef.current(payload)
    const untyped = socket as unknown as {
      on(event: string, listener: (payload: SocketPayloadOf<E>) => void): void
      off(event: string, listener: (payload: SocketPayloadOf<E>) => void): void
    }
    untyped.on(event, listener)
    return () => untyped.off(event, listener)
  }, [socket, event])
}
