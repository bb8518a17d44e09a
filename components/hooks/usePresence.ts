/**
 * Who is on the record. The join reply gives the list as it was when this tab arrived, and
 * `presence:state` broadcasts replace it on every change. Which one is current is decided by the
 * store's revision each carries (see `Revision` in src/protocol.ts), never by arrival time: a
 * broadcast read before this tab's join, arriving after its reply, is older and ignored. While not
 * joined the list is unknown, hence empty.
 */
import { useEffect, useState } from 'react'
import type { JoinReply, PresenceStateEvent, PresenceUser, RecordRef } from '../../src/protocol'
import { isCurrent } from './revision'
import { useRecordEvent, useSocketEvent } from './useRecordEvent'

export interface PresenceOptions extends RecordRef {
  joined: JoinReply | null
}

export function usePresence({ resourceId, recordId, joined }: PresenceOptions): PresenceUser[] {
  const [broadcast, setBroadcast] = useState<PresenceStateEvent | null>(null)

  useEffect(() => setBroadcast(null), [resourceId, recordId])
  // A new connection may be to a server whose counter started again (a memory store restarted with
  // its process): what was heard before is not comparable, and the next join is the baseline.
  useSocketEvent('disconnect', () => setBroadcast(null))
  useRecordEvent('presence:state', { resourceId, recordId }, (state) => {
    setBroadcast((previous) => (previous && !isCurrent(state.revision, previous.revision) ? previous : state))
  })

  if (!joined) return []
  const users = broadcast && isCurrent(broadcast.revision, joined.presenceRevision) ? broadcast.users : joined.presence
  // The server lists people by arrival; sorting here keeps that order whatever it sends.
  return [...users].sort((a, b) => a.sinceMs - b.sinceMs)
}
