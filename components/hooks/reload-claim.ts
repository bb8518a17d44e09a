/**
 * A reload of the editor's tab claims its lock back as early as the page can.
 *
 * When a tab that holds a record's lock goes away (`pagehide`), the server keeps the lock only for
 * `reloadGraceMs` (see `record:unload`). A reload must join again within it, but the edit page joins
 * late: after AdminJS's bundles ran, it fetched the record and rendered. So on `pagehide` the editing
 * page also leaves a marker in sessionStorage (record, socket path, time, address), and the next load
 * of the same tab reads it (and deletes it) as soon as the components bundle runs, opens the socket
 * and joins the record for editing with the tab's token (parked across the reload, see
 * useTabToken): the server renews the lease of the same token and user. Measured with
 * bench/tools/tab-close-timing.ts (every other reload without it), this join reaches the server
 * 10-120 ms sooner at p50 after the old page's unload than the rendered page's (of 350-630 ms):
 * the rest is loading the page and opening the WebSocket while the page boots. The edit page,
 * once mounted, joins again on the same socket (the same join, for the server) and adopts this
 * one. If no page of that record mounts in time, the early join leaves the record, releasing the lock.
 *
 * The marker proves nothing to the server: the join is checked like any other. A marker from
 * another address (the tab went elsewhere) or too old is ignored. "Duplicate tab" copies the
 * sessionStorage of a live tab, which holds no marker; a tab back from the back-forward cache
 * removes it.
 */
import { useEffect, useRef } from 'react'
import type { RecordRef } from '../../src/protocol'
import { request } from './request'
import { getSocket, releaseSocket, retainSocket, type CollaborationSocket } from './socket-client'
import { tabToken } from './useTabToken'

const STORAGE_KEY = 'adminjs-collaborator:reload-claim'
/** A reload reads the marker within a second or two; an older one is from another visit. */
const MARKER_MAX_AGE_MS = 10_000
/** How long the early join waits for a page of its record to mount and take over. */
const ADOPT_WITHIN_MS = 10_000

interface Marker extends RecordRef {
  socketPath: string
  href: string
  atMs: number
}

interface EarlyJoin extends RecordRef {
  socket: CollaborationSocket
  socketPath: string
  timer: ReturnType<typeof setTimeout>
}

let early: EarlyJoin | null = null

function isMarker(value: unknown): value is Marker {
  const v = value as Partial<Marker> | null
  return typeof v === 'object' && v !== null && [v.resourceId, v.recordId, v.socketPath, v.href].every((s) => typeof s === 'string' && s.length > 0) && typeof v.atMs === 'number'
}

/** Storage can throw (disabled, sandboxed): then there is simply no early claim. */
function takeMarker(): Marker | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY)
    sessionStorage.removeItem(STORAGE_KEY)
    const marker: unknown = raw ? JSON.parse(raw) : null
    return isMarker(marker) ? marker : null
  } catch {
    return null
  }
}

function leaveReloadMarker(ref: RecordRef, socketPath: string): void {
  const marker: Marker = { resourceId: ref.resourceId, recordId: ref.recordId, socketPath, href: window.location.href, atMs: Date.now() }
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(marker))
  } catch {
    // Without storage the reload joins when the page has rendered, still within the window mostly.
  }
}

/** Leaves the marker on `pagehide` while this tab holds the record's lock. */
export function useReloadMarker({ resourceId, recordId }: RecordRef, holdsLock: boolean, socketPath: string): void {
  const holds = useRef(holdsLock)
  holds.current = holdsLock
  useEffect(() => {
    const onPageHide = () => {
      if (holds.current) leaveReloadMarker({ resourceId, recordId }, socketPath)
    }
    window.addEventListener('pagehide', onPageHide)
    return () => window.removeEventListener('pagehide', onPageHide)
  }, [resourceId, recordId, socketPath])
}

function end(join: EarlyJoin): void {
  clearTimeout(join.timer)
  if (early === join) early = null
  releaseSocket(join.socketPath)
}

/** A page of `ref` mounted and joins by itself now: the early join is its join. */
export function adoptEarlyJoin(ref: RecordRef): void {
  if (early && early.resourceId === ref.resourceId && early.recordId === ref.recordId) end(early)
}

function joinEarly(marker: Marker): void {
  const socket = getSocket(marker.socketPath)
  const ref = { resourceId: marker.resourceId, recordId: marker.recordId }
  const join: EarlyJoin = {
    ...ref,
    socket,
    socketPath: marker.socketPath,
    timer: setTimeout(() => {
      // Nobody took it over: leave, so that no lock stays with a page that does not edit it.
      if (socket.connected) void request(socket, 'record:leave', ref)
      end(join)
    }, ADOPT_WITHIN_MS),
  }
  early = join
  const send = () => {
    if (early === join) void request(socket, 'record:join', { ...ref, tabToken: tabToken(), intent: 'edit' })
  }
  if (socket.connected) send()
  else socket.once('connect', send)
  retainSocket(marker.socketPath)
}

/** Runs once, when the components bundle loads. */
function claimAfterReload(): void {
  if (typeof window === 'undefined') return
  const marker = takeMarker()
  if (marker && marker.href === window.location.href && Math.abs(Date.now() - marker.atMs) < MARKER_MAX_AGE_MS) joinEarly(marker)
  // Back from the back-forward cache the page is alive again and joins by itself.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) takeMarker()
  })
}

claimAfterReload()
