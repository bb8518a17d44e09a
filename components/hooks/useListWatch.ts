/**
 * Who edits and who views each row of a list page (#14): one `list:watch` with the page's record
 * ids (again whenever they change, and after every reconnection), then the rows' `lock:state` and
 * presence messages, merged per record by revision exactly as a record's own page merges them
 * (presence-map.ts; a lease is replaced only by one of a higher revision).
 */
import { useEffect, useMemo, useState } from 'react'
import type { LeaseView, LockStateEvent, PresenceChangedEvent, PresenceStateEvent, PresenceUser, Revision } from '../../src/protocol'
import { useCollaborationSocket } from './collaboration-context'
import { applyChanges, applySnapshot, emptyPresence, presentPeople, type PresenceMap } from './presence-map'
import { request } from './request'
import { useSocketEvent } from './useRecordEvent'

interface RowHeard {
  lease: LeaseView | null
  lockRevision: Revision
  presence: PresenceMap
}

export interface RowLive {
  lease: LeaseView | null
  people: PresenceUser[]
}

export function useListWatch(resourceId: string, recordIds: string[]): ReadonlyMap<string, RowLive> {
  const socket = useCollaborationSocket()
  const [heard, setHeard] = useState<ReadonlyMap<string, RowHeard>>(new Map())
  // The ids as one value: a new array of the same rows asks nothing again.
  const idsKey = JSON.stringify(recordIds)
  const [connections, setConnections] = useState(0)
  useSocketEvent('connect', () => setConnections((count) => count + 1))
  // A new connection may be to a server whose counters started again: the next reply is the baseline.
  useSocketEvent('disconnect', () => setHeard(new Map()))

  useEffect(() => {
    const ids = JSON.parse(idsKey) as string[]
    let current = true
    if (!socket.connected) return undefined
    void request(socket, 'list:watch', { resourceId, recordIds: ids }).then((reply) => {
      if (!current || !reply.ok) return
      setHeard((before) => {
        const next = new Map<string, RowHeard>()
        for (const row of reply.data.rows) {
          const known = before.get(row.recordId)
          const lease = known && known.lockRevision > row.lockRevision ? known : { lease: row.lease, lockRevision: row.lockRevision }
          next.set(row.recordId, { ...lease, presence: applySnapshot(known?.presence ?? emptyPresence, row.presence, row.presenceRevision) })
        }
        return next
      })
    })
    return () => {
      current = false
    }
  }, [socket, resourceId, idsKey, connections])

  // Stop following the rows when the list goes away.
  useEffect(() => () => void request(socket, 'list:watch', { resourceId, recordIds: [] }), [socket, resourceId])

  useEffect(() => {
    const mine = (event: { resourceId: string; recordId: string }) => event.resourceId === resourceId
    const update = (recordId: string, change: (row: RowHeard) => RowHeard) =>
      setHeard((before) => {
        const row = before.get(recordId)
        if (!row) return before
        const next = new Map(before)
        next.set(recordId, change(row))
        return next
      })
    const onLock = (state: LockStateEvent) => {
      if (mine(state)) update(state.recordId, (row) => (state.revision >= row.lockRevision ? { ...row, lease: state.lease, lockRevision: state.revision } : row))
    }
    const onChanged = (event: PresenceChangedEvent) => {
      if (mine(event)) update(event.recordId, (row) => ({ ...row, presence: applyChanges(row.presence, event.changes) }))
    }
    const onState = (event: PresenceStateEvent) => {
      if (mine(event)) update(event.recordId, (row) => ({ ...row, presence: applySnapshot(row.presence, event.users, event.revision) }))
    }
    socket.on('lock:state', onLock)
    socket.on('presence:changed', onChanged)
    socket.on('presence:state', onState)
    return () => {
      socket.off('lock:state', onLock)
      socket.off('presence:changed', onChanged)
      socket.off('presence:state', onState)
    }
  }, [socket, resourceId])

  return useMemo(() => {
    const live = new Map<string, RowLive>()
    for (const [recordId, row] of heard) live.set(recordId, { lease: row.lease, people: presentPeople(row.presence) })
    return live
  }, [heard])
}
