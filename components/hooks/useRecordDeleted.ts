/**
 * The record this page shows was deleted (#14): the change feed says so to every page of an admin
 * who may see the resource (`change:feed`, kind `deleted`), this record's own page included. A page
 * that was away then (offline, asleep) learns it when it joins again: the join answers
 * `not_found`, and the feed's recent changes say who deleted it and when, if they still hold the
 * delete; otherwise the page knows only that the record is gone.
 */
import { useEffect, useState } from 'react'
import { ErrorCode, type ChangeEvent, type RecordRef, type UserView } from '../../src/protocol'
import { useCollaborationSocket } from './collaboration-context'
import { request, type ClientError } from './request'
import { useRecordEvent } from './useRecordEvent'

/** As many recent changes as `feed:recent` answers at most: the delete is likely among them. */
const RECENT_LOOKED_AT = 100

export interface RecordDeletion {
  /** Who deleted it, when known (null: the record is gone, nobody said by whom). */
  by: UserView | null
  atMs: number | null
}

const deletionOf = (change: ChangeEvent): RecordDeletion => ({ by: change.by, atMs: change.atMs })

export function useRecordDeleted({ resourceId, recordId }: RecordRef, joinError: ClientError | null): RecordDeletion | null {
  const socket = useCollaborationSocket()
  const [deleted, setDeleted] = useState<RecordDeletion | null>(null)

  useRecordEvent('change:feed', { resourceId, recordId }, (change) => {
    if (change.kind === 'deleted') setDeleted(deletionOf(change))
  })

  const gone = joinError?.code === ErrorCode.NotFound
  useEffect(() => {
    if (!gone) return undefined
    let current = true
    void request(socket, 'feed:recent', { limit: RECENT_LOOKED_AT }).then((reply) => {
      if (!current) return
      const change = reply.ok ? reply.data.changes.find((entry) => entry.kind === 'deleted' && entry.resourceId === resourceId && entry.recordId === recordId) : undefined
      // The live event may have come first, with the same news: keep what is known best.
      setDeleted((known) => (change ? deletionOf(change) : (known ?? { by: null, atMs: null })))
    })
    return () => {
      current = false
    }
  }, [gone, socket, resourceId, recordId])

  return deleted
}
