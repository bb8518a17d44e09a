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
