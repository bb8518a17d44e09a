/**
 * Who is on the record. The join reply gives everyone as they were when this tab arrived;
 * `presence:changed` then tells whose line changed, and `presence:state` (rarely) everyone again.
 * Everything is merged person by person by the store's revision each carries (see
 * `PresenceChange` in src/protocol.ts, and presence-map.ts), never by arrival time: a change read
 * before this tab's join, arriving after its reply, is older and changes nothing. While not joined
 * the list is unknown, hence empty.
 */
import { useEffect, useMemo, useState } from 'react'
import type { JoinReply, PresenceUser, RecordRef } from '../../src/protocol'
import { applyChanges, applySnapshot, emptyPresence, presentPeople, type PresenceMap } from './presence-map'
import { useRecordEvent, useSocketEvent } from './useRecordEvent'

export interface PresenceOptions extends RecordRef {
  joined: JoinReply | null
}

export function usePresence({ resourceId, recordId, joined }: PresenceOptions): PresenceUser[] {
  // Tagged with its record: revisions of two records are two counters, never to be merged.
  const record = JSON.stringify([resourceId, recordId])
  const [heard, setHeard] = useState<{ record: string; map: PresenceMap }>({ record, map: emptyPresence })
  const update = (change: (map: PresenceMap) => PresenceMap) => setHeard((previous) => ({ record, map: change(previous.record === record ? previous.map : emptyPresence) }))

  useEffect(() => setHeard({ record, map: emptyPresence }), [record])
  // A new connection may be to a server whose counter started again (a memory store restarted with
  // its process): what was heard before is not comparable, and the next join is the baseline.
  useSocketEvent('disconnect', () => setHeard({ record, map: emptyPresence }))
  useRecordEvent('presence:changed', { resourceId, recordId }, (event) => update((map) => applyChanges(map, event.changes)))
  useRecordEvent('presence:state', { resourceId, recordId }, (state) => update((map) => applySnapshot(map, state.users, state.revision)))

  return useMemo(() => {
    if (!joined) return []
    const map = heard.record === record ? heard.map : emptyPresence
    return presentPeople(applySnapshot(map, joined.presence, joined.presenceRevision))
  }, [heard, joined, record])
}
