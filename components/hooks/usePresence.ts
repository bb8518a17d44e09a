/**
 * Who is on the record. The join reply gives the list as it was when this tab arrived, and
 * `presence:state` broadcasts replace it on every change. The two travel on one socket in order,
 * but the reply reaches React a moment later (through a promise and a render), so each keeps the
 * time it arrived and the newer one wins. While not joined the list is unknown, hence empty.
 */
import { useEffect, useState } from 'react'
import type { JoinReply, PresenceStateEvent, PresenceUser, RecordRef } from '../../src/protocol'
import { useCollaborationSocket } from './collaboration-context'

export interface PresenceOptions extends RecordRef {
  joined: JoinReply | null
  /** `performance.now()` when `joined` arrived. */
  joinedAtMs: number
}

interface Broadcast {
  users: PresenceUser[]
  atMs: number
}

export function usePresence({ resourceId, recordId, joined, joinedAtMs }: PresenceOptions): PresenceUser[] {
  const socket = useCollaborationSocket()
  const [broadcast, setBroadcast] = useState<Broadcast | null>(null)

  useEffect(() => {
    setBroadcast(null)
    const onPresence = (state: PresenceStateEvent) => {
      if (state.resourceId === resourceId && state.recordId === recordId) setBroadcast({ users: state.users, atMs: performance.now() })
    }
    socket.on('presence:state', onPresence)
    return () => {
      socket.off('presence:state', onPresence)
    }
  }, [socket, resourceId, recordId])

  if (!joined) return []
  const users = broadcast && broadcast.atMs >= joinedAtMs ? broadcast.users : joined.presence ?? []
  // The server lists people by arrival; sorting here keeps that order whatever it sends.
  return [...users].sort((a, b) => a.sinceMs - b.sinceMs)
}
