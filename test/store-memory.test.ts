/**
 * MemoryStore only: its memory follows what is live. Expired entries are dropped when read (presence
 * entries when joined, left or renewed: see presence-rules.ts), and a
 * sweep (at most once per `sweepIntervalMs`, run by the next operation) drops those nobody reads
 * again. The behaviour both stores share is in store-contract.test.ts.
 */
import { MemoryStore } from '../src/store/memory-store.js'
import type { PresenceEntry, Store } from '../src/store/store.js'

const LONG = 60_000

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * Waits until everything written before this call with a ttl of at most `ttlMs` has expired: a
 * marker save written now with that ttl ends last. Reading the marker is an operation, so it also
 * gives the sweep its chance to run.
 */
async function afterExpiryOf(store: Store, ttlMs: number): Promise<void> {
  await store.saves.recordSave('marker', { user: { id: 'm', name: 'M' }, atMs: 0, version: 'm' }, ttlMs)
  await eventually('the marker to expire', async () => (await store.saves.lastSave('marker')) === null)
}

const entry = (id: string): PresenceEntry => ({ id, user: { id, name: id }, tabId: `tab-${id}`, intent: 'show', sinceMs: 0 })

/** One of everything on each of `records` records, all ending after `ttlMs`. */
async function fill(store: Store, records: number, ttlMs: number): Promise<void> {
  for (let i = 0; i < records; i++) {
    const key = `posts:${i}`
    const who = { token: `token-${i}`, user: { id: `user-${i}`, name: `User ${i}` } }
    await store.locks.claim(key, who, ttlMs)
    await store.presence.join(key, entry(`socket-${i}`), ttlMs)
    await store.attention.throttle(`ask:${key}`, ttlMs)
    await store.attention.putCandidate(key, `tab-${i}`, who, ttlMs)
    await store.saves.recordSave(key, { user: who.user, atMs: 0, version: 'v1' }, ttlMs)
  }
}

test('a sweep drops expired leases, presence, intervals, candidacies and saves nobody reads again', async () => {
  const store = new MemoryStore({ sweepIntervalMs: 0 })
  // Long enough that nothing expires while filling on a loaded machine (every operation sweeps).
  await fill(store, 20, 1500)
  // Five entries a record, and the record's presence map.
  expect(store.heldEntries()).toBe(120)
  await afterExpiryOf(store, 1500)
  expect(store.heldEntries()).toBe(0)
  await store.close()
})

test('between sweeps expired entries wait; reading one drops it, except presence, which waits for an operation that reports it', async () => {
  const store = new MemoryStore({ sweepIntervalMs: LONG })
  await fill(store, 20, 50)
  await afterExpiryOf(store, 50)
  expect(store.heldEntries()).toBe(120)
  expect(await store.locks.get('posts:0')).toBeNull()
  expect((await store.presence.list('posts:0')).entries).toEqual([])
  expect(store.heldEntries()).toBe(119)
  // A renewal (or a join, or a leave) drops the entry, and its record's map, and says so.
  expect(await store.presence.renew('posts:0', [], LONG)).toBe(true)
  expect(store.heldEntries()).toBe(117)
  await store.close()
})

test('a record its last entry leaves, and a candidacy taken, hold nothing', async () => {
  const store = new MemoryStore()
  const who = { token: 't', user: { id: 'ann', name: 'Ann' } }
  await store.presence.join('posts:1', entry('a'), LONG)
  await store.presence.join('posts:1', entry('b'), LONG)
  await store.presence.leave('posts:1', 'a')
  await store.presence.leave('posts:1', 'b')
  await store.attention.putCandidate('posts:1', 'tab', who, LONG)
  await store.attention.takeCandidate('posts:1', 'tab')
  await store.locks.claim('posts:1', who, LONG)
  await store.locks.release('posts:1', who)
  expect(store.heldEntries()).toBe(0)
  await store.close()
})

test('a sweep leaves a partly expired record to its next renew, which reports the drop', async () => {
  const store = new MemoryStore({ sweepIntervalMs: 0 })
  await store.presence.join('posts:1', entry('ann'), LONG)
  await store.presence.join('posts:1', entry('bob'), 50)
  await afterExpiryOf(store, 50)
  expect(await store.presence.renew('posts:1', ['ann'], LONG)).toBe(true)
  expect((await store.presence.list('posts:1')).entries).toEqual([entry('ann')])
  await store.close()
})

test('a sweep drops expired conversations and rate-limit windows nobody reads again', async () => {
  const store = new MemoryStore({ sweepIntervalMs: 0 })
  for (let i = 0; i < 20; i++) {
    const message = { id: `m${i}`, resourceId: 'posts', recordId: String(i), from: { id: 'ann', name: 'Ann' }, to: null, text: 'hi', atMs: 0 }
    // The sender's window is counted with the append: a conversation and a window each.
    await store.chat.append(`posts:${i}:all`, message, 100, 50, { key: `chat:user-${i}`, limit: 30, windowMs: 50 })
  }
  expect(store.heldEntries()).toBe(40)
  await afterExpiryOf(store, 50)
  expect(store.heldEntries()).toBe(0)
  await store.close()
})

test('a sweep drops lines whose entries all expired; a line its last entry leaves holds nothing', async () => {
  const store = new MemoryStore({ sweepIntervalMs: 0 })
  // Long enough that none ends while the others join on a loaded machine (every join sweeps).
  for (let i = 0; i < 20; i++) await store.queue.join(`posts:${i}`, { token: `t${i}`, user: { id: `user-${i}`, name: 'U' }, sinceMs: 0 }, 1000, LONG)
  // One entry a record, and the record's line.
  expect(store.heldEntries()).toBe(40)
  await afterExpiryOf(store, 1000)
  expect(store.heldEntries()).toBe(0)
  await store.queue.join('posts:1', { token: 't', user: { id: 'ann', name: 'Ann' }, sinceMs: 0 }, LONG, LONG)
  await store.queue.leave('posts:1', { token: 't', user: { id: 'ann' } })
  expect(store.heldEntries()).toBe(0)
  await store.close()
})

test('the audit log keeps its newest `auditMaxEntries` events and no more', async () => {
  const store = new MemoryStore({ auditMaxEntries: 10 })
  const event = (i: number) => ({ atMs: i, kind: 'granted' as const, recordKey: 'posts:1', resourceId: 'posts', recordId: '1', user: { id: 'ann', name: 'Ann' } })
  for (let i = 0; i < 55; i++) await store.audit.append(event(i))
  expect(store.heldEntries()).toBe(10)
  expect((await store.audit.list({ limit: 100 })).map((entry) => entry.atMs)).toEqual(Array.from({ length: 10 }, (_, i) => 54 - i))
  expect(() => new MemoryStore({ auditMaxEntries: 0 })).toThrow(RangeError)
  await store.close()
})
