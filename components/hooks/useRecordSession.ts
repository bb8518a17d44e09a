/**
 * This tab's session on one record: the spine every per-record feature (the edit lock, presence,
 * chat) stands on, for edit and show pages alike.
 *
 * - On every (re)connect the tab joins the record with its tab token; with intent `edit` the join
 *   also claims the lock. The reply names this tab (`tabId`), who it is, and the current lease.
 *   A join refused for a passing reason is retried with a growing delay.
 * - `lock:state` tells who holds the lock now; the lease follows it, ordered by the store's
 *   revision every answer and broadcast carries (see `Revision` in src/protocol.ts), never by
 *   arrival: a late broadcast of this tab's own leave, arriving after its new grant, is older and
 *   changes nothing.
 * - Leaving the page leaves the record (and releases the lock). Closing or reloading the tab says
 *   so on `pagehide` (`record:unload`): the server keeps the lock only as long as a reload takes
 *   to join again. Losing the network does not free it either: the server keeps it for the
 *   reconnect grace, so the same tab coming back gets it back.
 */
import { useCallback, useEffect, useState } from 'react'
import type { JoinIntent, JoinReply, LeaseView, LockStateEvent, RecordRef, UserView } from '../../src/protocol'
import { useCollaborationSocket } from './collaboration-context'
import { NO_LEASE, RecordChannel, type LeaseSnapshot } from './record-channel'
import { adoptEarlyJoin } from './reload-claim'
import { LocalErrorCode, isTransient, request, type ClientError } from './request'
import type { CollaborationSocket } from './socket-client'
import { useConnection, type ConnectionStatus } from './useConnection'
import { useTabToken } from './useTabToken'

const JOIN_RETRY_MIN_MS = 1000
const JOIN_RETRY_MAX_MS = 15_000

export interface RecordSessionOptions extends RecordRef {
  intent: JoinIntent
}

export interface RecordSession extends RecordSessionOptions {
  status: ConnectionStatus
  /** The server's answer to the current join (null until joined, and while disconnected). */
  joined: JoinReply | null
  /** Who this tab is, per the server. */
  me: UserView | null
  /** The last known lease (kept while offline, for the overlay). */
  lease: LeaseView | null
  /** The lease with when it arrived, for the claim schedule. */
  snapshot: LeaseSnapshot
  /** The current join's bookkeeping, for features that send requests on it (null before the effect ran). */
  channel: RecordChannel | null
  /** The last error from the server or the connection, until dismissed or resolved. */
  error: ClientError | null
  dismissError: () => void
}

/** Joins now and on every reconnect, with retries; the answer lands in `joined` and the channel. */
function joinLifecycle(socket: CollaborationSocket, channel: RecordChannel, join: JoinArgs, setJoined: (reply: JoinReply | null) => void): () => void {
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let retryMs = JOIN_RETRY_MIN_MS
  const run = async () => {
    clearTimeout(retryTimer)
    const reply = await channel.send('record:join', join, { newEpoch: true })
    if (!reply) return
    if (!reply.ok) {
      // Not connected: the offline notice says so and the next 'connect' joins again.
      if (reply.error.code === LocalErrorCode.Disconnected) return
      channel.sinks.error(reply.error)
      if (isTransient(reply.error)) {
        retryTimer = setTimeout(() => void run(), retryMs)
        retryMs = Math.min(retryMs * 2, JOIN_RETRY_MAX_MS)
      }
      return
    }
    retryMs = JOIN_RETRY_MIN_MS
    channel.sinks.error(null)
    channel.myTabId = reply.data.tabId
    // Not a reset: a broadcast newer than this answer may have arrived before it (the socket is in
    // the room before the answer is sent), and stays.
    channel.own(reply.data.lockRevision)
    setJoined(reply.data)
    channel.applyLease(reply.data.lease, reply.data.lockRevision, false)
  }
  channel.rejoin = () => void run()
  const onConnect = () => void run()
  const onDisconnect = () => {
    clearTimeout(retryTimer)
    channel.disconnected()
    setJoined(null)
  }
  const onLockState = (state: LockStateEvent) => {
    if (state.resourceId === join.resourceId && state.recordId === join.recordId) channel.applyLease(state.lease, state.revision, false)
  }
  // The page is going away (closed, reloaded, left the admin): said while the socket is still
  // open, so the server keeps this tab's lock only for a reload, not the whole reconnect grace.
  const onPageHide = () => {
    if (socket.connected) socket.emit('record:unload', { resourceId: join.resourceId, recordId: join.recordId }, () => undefined)
  }
  // Back from the back-forward cache: the server stopped renewing this tab's lease, so join again.
  const onPageShow = (event: PageTransitionEvent) => {
    if (event.persisted && socket.connected) void run()
  }
  socket.on('connect', onConnect)
  socket.on('disconnect', onDisconnect)
  socket.on('lock:state', onLockState)
  window.addEventListener('pagehide', onPageHide)
  window.addEventListener('pageshow', onPageShow)
  if (socket.connected) void run()
  return () => {
    clearTimeout(retryTimer)
    socket.off('connect', onConnect)
    socket.off('disconnect', onDisconnect)
    socket.off('lock:state', onLockState)
    window.removeEventListener('pagehide', onPageHide)
    window.removeEventListener('pageshow', onPageShow)
  }
}

type JoinArgs = RecordSessionOptions & { tabToken: string }

export function useRecordSession({ resourceId, recordId, intent }: RecordSessionOptions): RecordSession {
  const socket = useCollaborationSocket()
  const tabToken = useTabToken()
  const { status, refusal } = useConnection()
  const [joined, setJoined] = useState<JoinReply | null>(null)
  const [snapshot, setSnapshot] = useState<LeaseSnapshot>(NO_LEASE)
  const [error, setError] = useState<ClientError | null>(null)
  const [dismissedRefusal, setDismissedRefusal] = useState<ClientError | null>(null)
  const [channel, setChannel] = useState<RecordChannel | null>(null)

  useEffect(() => {
    const ref: RecordRef = { resourceId, recordId }
    const current = new RecordChannel(socket, { lease: setSnapshot, error: setError })
    setJoined(null)
    setSnapshot(NO_LEASE)
    setError(null)
    const stop = joinLifecycle(socket, current, { ...ref, tabToken, intent }, setJoined)
    // A reload joined for this page before it rendered: this session's join takes over from it
    // (with intent `show` too: that join replaces the early one on the server).
    adoptEarlyJoin(ref)
    setChannel(current)
    return () => {
      current.close()
      stop()
      setChannel(null)
      if (socket.connected) {
        void request(socket, 'record:leave', ref).then((reply) => {
          // The page is gone, so the console is the only place left to report it.
          if (!reply.ok) console.warn(`adminjs-collaborator: leaving ${resourceId}/${recordId} failed: ${reply.error.message}`)
        })
      }
    }
  }, [socket, tabToken, resourceId, recordId, intent])

  const shownRefusal = refusal === dismissedRefusal ? null : refusal
  const dismissError = useCallback(() => {
    setError(null)
    setDismissedRefusal(refusal)
  }, [refusal])

  return {
    resourceId,
    recordId,
    intent,
    status,
    joined,
    me: joined?.user ?? null,
    lease: snapshot.lease,
    snapshot,
    channel,
    error: error ?? shownRefusal,
    dismissError,
  }
}
