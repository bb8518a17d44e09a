/** The record session's bookkeeping: lease order by revision, stale answers, hand-over detection. */
import { describe, expect, test } from '@jest/globals'
import type { LeaseView } from '../src/protocol'
import { NO_LEASE, RecordChannel, type LeaseSnapshot } from '../components/hooks/record-channel'
import type { ClientError } from '../components/hooks/request'
import type { CollaborationSocket } from '../components/hooks/socket-client'

const ref = { resourceId: 'Post', recordId: '1' }
const lease = (tabId: string): LeaseView => ({ tabId, user: { id: 'u1', name: 'Ann' }, fence: 1, sinceMs: 0, expiresInMs: 5000, idleMs: 0, unsaved: false })

function channel(): { channel: RecordChannel; shown: () => LeaseSnapshot; errors: Array<ClientError | null> } {
  let snapshot = NO_LEASE
  const errors: Array<ClientError | null> = []
  // Never connected: every request is answered at once with a local `disconnected`.
  const socket = { connected: false } as unknown as CollaborationSocket
  const made = new RecordChannel(socket, { lease: (update) => (snapshot = update(snapshot)), error: (error) => errors.push(error) })
  return { channel: made, shown: () => snapshot, errors }
}

describe('RecordChannel', () => {
  test('a lease older than the one applied changes nothing; after a disconnect anything is the baseline', () => {
    const { channel: c, shown } = channel()
    expect(c.applyLease(lease('t1'), 11, false)).toBe(true)
    expect(c.applyLease(null, 10, false)).toBe(false)
    expect(shown().lease?.tabId).toBe('t1')
    c.disconnected()
    expect(c.applyLease(null, 3, false)).toBe(true)
    expect(shown().lease).toBeNull()
  })

  test('rearm keeps the lease and marks it as after a claim', () => {
    const { channel: c, shown } = channel()
    c.applyLease(lease('t1'), 1, false)
    c.rearm()
    expect(shown()).toMatchObject({ lease: { tabId: 't1' }, afterClaim: true })
  })

  test('the answer to a request sent before a disconnect, a newer join or the end is stale', async () => {
    const { channel: c } = channel()
    const beforeDisconnect = c.send('lock:claim', ref)
    c.disconnected()
    expect(await beforeDisconnect).toBeNull()
    const beforeJoin = c.send('lock:claim', ref)
    const join = c.send('record:join', { ...ref, tabToken: 'x', intent: 'edit' }, { newEpoch: true })
    expect(await beforeJoin).toBeNull()
    expect(await join).toMatchObject({ ok: false, error: { code: 'disconnected' } })
    const beforeClose = c.send('lock:claim', ref)
    c.close()
    expect(await beforeClose).toBeNull()
  })

  test('a hand-over is a current lease naming this tab at a revision none of its requests was answered with, with none out', async () => {
    const { channel: c } = channel()
    c.myTabId = 't1'
    c.own(5)
    expect(c.isHandOver(lease('t1'), 5)).toBe(false)
    expect(c.isHandOver(lease('t2'), 6)).toBe(false)
    expect(c.isHandOver(null, 6)).toBe(false)
    expect(c.isHandOver(lease('t1'), 6)).toBe(true)
    // Whether the session applied it already or not: listeners may run in any order.
    c.applyLease(lease('t1'), 6, false)
    expect(c.isHandOver(lease('t1'), 6)).toBe(true)
    expect(c.isHandOver(lease('t1'), 4)).toBe(false)
    const out = c.send('lock:claim', ref)
    expect(c.isHandOver(lease('t1'), 7)).toBe(false)
    await out
    expect(c.isHandOver(lease('t1'), 7)).toBe(true)
  })
})
