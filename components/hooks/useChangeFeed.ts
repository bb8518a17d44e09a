/**
 * The admin's change feed as the top bar shows it (#14): the latest changes this admin may see,
 * read back once connected (`feed:recent`, again after every reconnection, so nothing told while
 * offline is missed) and followed live (`change:feed`), newest first, one entry per change id.
 *
 * What is unread is kept in this browser per user: the time (server clock, as changes carry it) up
 * to which the user has read, in localStorage so every tab of theirs agrees at once. The user's own
 * changes are never unread.
 */
import { useCallback, useEffect, useState } from 'react'
import type { ChangeEvent, UserView } from '../../src/protocol'
import { useCollaborationSocket } from './collaboration-context'
import { request } from './request'
import { useSocketEvent } from './useRecordEvent'

/** How many changes the panel holds (and asks for on connecting). */
export const FEED_SHOWN = 20

const readKey = (userId: string) => `adminjs-collaborator:feed-read:${userId}`

function readUpTo(userId: string): number {
  try {
    return Number(window.localStorage.getItem(readKey(userId))) || 0
  } catch {
    return 0
  }
}

/** Newest first, each id once: `incoming` wins over what was there. */
function merged(incoming: ChangeEvent[], known: ChangeEvent[]): ChangeEvent[] {
  const seen = new Set<string>()
  const all = [...incoming, ...known].filter((change) => !seen.has(change.id) && seen.add(change.id))
  return all.sort((a, b) => b.atMs - a.atMs).slice(0, FEED_SHOWN)
}

export interface ChangeFeedState {
  me: UserView | null
  changes: ChangeEvent[]
  /** Changes of others newer than what the user marked read. */
  unread: ChangeEvent[]
  markAllRead: () => void
}

export function useChangeFeed(): ChangeFeedState {
  const socket = useCollaborationSocket()
  const [me, setMe] = useState<UserView | null>(null)
  const [changes, setChanges] = useState<ChangeEvent[]>([])
  const [readAtMs, setReadAtMs] = useState(0)

  const load = useCallback(() => {
    void request(socket, 'feed:recent', { limit: FEED_SHOWN }).then((reply) => {
      if (!reply.ok) return
      setMe(reply.data.me)
      setReadAtMs(readUpTo(reply.data.me.id))
      setChanges((known) => merged(reply.data.changes, known))
    })
  }, [socket])

  useEffect(() => {
    if (socket.connected) load()
  }, [socket, load])
  useSocketEvent('connect', load)
  // Every record's changes, not one record's: a listener of its own (useRecordEvent filters by record).
  useEffect(() => {
    const onChange = (change: ChangeEvent) => setChanges((known) => merged([change], known))
    socket.on('change:feed', onChange)
    return () => void socket.off('change:feed', onChange)
  }, [socket])

  // Read in another tab: this one follows.
  useEffect(() => {
    if (!me) return undefined
    const onStorage = (event: StorageEvent) => {
      if (event.key === readKey(me.id)) setReadAtMs(readUpTo(me.id))
    }
    window.addEventListener('storage', onStorage)
    return () => window.removeEventListener('storage', onStorage)
  }, [me])

  const markAllRead = useCallback(() => {
    if (!me) return
    const upTo = Math.max(readAtMs, ...changes.map((change) => change.atMs))
    setReadAtMs(upTo)
    try {
      window.localStorage.setItem(readKey(me.id), String(upTo))
    } catch {
      // Storage refused: read in this tab only.
    }
  }, [me, readAtMs, changes])

  const unread = me ? changes.filter((change) => change.by.id !== me.id && change.atMs > readAtMs) : []
  return { me, changes, unread, markAllRead }
}
