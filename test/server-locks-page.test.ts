/**
 * The locks page's events and the audit trail, on both stores and across two processes sharing one
 * Redis: `locks:watch` lists every held record (one held on the other process too) and sends
 * `locks:snapshot` when that changes; `locks:release` ends a lock for a permitted admin (the
 * editor's socket hears who ended it, and its process stops renewing it), is refused without
 * permission, and always allowed for one's own lock; bad payloads get codes; every lock event this
 * package observes is in the audit log (filterable by record and user) and reaches `onAudit`.
 */
import session from 'express-session'
import { VERSION_PARAM, type AuditEntryView, type JoinReply, type LockEndedEvent, type LockStateEvent, type LocksSnapshot } from '../src/protocol.js'
import type { AuditEvent } from '../src/store/store.js'
import type { CollaborationOptions } from '../src/index.js'
import { adminApi } from './support/admin-api.js'
import { login, newTabToken, nextEvent, request, unwrap, type TestSocket } from './support/clients.js'
import { closedAfterEach } from './support/opened.js'
import { startTestApp, storeOptions, users, type TestApp } from './support/app.js'

const post = { resourceId: 'Post', recordId: '2' }
const other = { resourceId: 'Post', recordId: '3' }

const { apps, socketOf } = closedAfterEach()

const join = (socket: TestSocket, ref: typeof post, intent: 'edit' | 'show', tabToken = newTabToken()) => request<JoinReply>(socket, 'record:join', { ...ref, tabToken, intent })
const watch = (socket: TestSocket, scope: 'all' | 'mine' = 'all') => request<LocksSnapshot>(socket, 'locks:watch', { scope })
const rowOf = (snapshot: LocksSnapshot, ref: typeof post) => snapshot.rows.find((row) => row.resourceId === ref.resourceId && row.recordId === ref.recordId)

/** Polls until `check` holds (or gives up after a while, so the assertion after it fails). */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
}

/** Carol may end anyone's lock; Bob may not. */
const permissions = (audited: AuditEvent[]): Partial<CollaborationOptions> => ({
  canForceRelease: ({ user }) => user.id === 'carol',
  onAudit: (event) => {
    audited.push(event)
    if (event.kind === 'released') throw new Error('a failing onAudit must not break the release')
  },
})

describe.each(['memory', 'redis'] as const)('the locks page on the %s store', (kind) => {
  test('lists live, releases with permission only, tells the editor, and audits it all', async () => {
    const audited: AuditEvent[] = []
    const warnings: unknown[][] = []
    const logger = { error: console.error, info: () => undefined, warn: (...args: unknown[]) => void warnings.push(args) }
    const app = await startTestApp({ ...storeOptions(kind), ...permissions(audited) }, { logger })
    apps.push(app)
    const [alice, bob, carol] = await Promise.all([login(app.url, users.alice), login(app.url, users.bob), login(app.url, users.carol)])

    const carolPage = await socketOf(app, carol)
    const first = unwrap(await watch(carolPage))
    expect(first.canViewAll).toBe(true)
    expect(rowOf(first, post)).toBeUndefined()

    // Alice starts editing: Carol's page hears of it without asking.
    const aliceTab = await socketOf(app, alice)
    const aliceJoin = unwrap(await join(aliceTab, post, 'edit'))
    expect(aliceJoin.lease?.user.id).toBe('alice')
    const appeared = await nextEvent<LocksSnapshot>(carolPage, 'locks:snapshot', (snapshot) => rowOf(snapshot, post) !== undefined)
    const row = rowOf(appeared, post)!
    expect(row).toMatchObject({ holder: { id: 'alice' }, fence: aliceJoin.lease!.fence, title: expect.any(String), resourceName: 'Post', queueLength: 0, canRelease: true })
    expect(row.lastActiveMs).toBeGreaterThanOrEqual(row.sinceMs!)

    // Bob looks at the record: he shows up as a viewer.
    const bobTab = await socketOf(app, bob)
    unwrap(await join(bobTab, post, 'show'))
    const viewed = await nextEvent<LocksSnapshot>(carolPage, 'locks:snapshot', (snapshot) => (rowOf(snapshot, post)?.viewers.length ?? 0) > 0)
    expect(rowOf(viewed, post)!.viewers.map((viewer) => viewer.id)).toEqual(['bob'])

    // Bob sees the row, but may not end Alice's lock: the server refuses, whatever he sends.
    const bobPage = await socketOf(app, bob)
    expect(rowOf(unwrap(await watch(bobPage)), post)?.canRelease).toBe(false)
    const fence = row.fence!
    const refused = await request(bobPage, 'locks:release', { ...post, fence })
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    expect((await app.collaboration['store'].locks.get('Post:2'))?.user.id).toBe('alice')

    // Bad payloads: refused with a code, nothing changes.
    expect(await request(bobPage, 'locks:watch', { scope: 'everything' })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } })
    expect(await request(carolPage, 'locks:release', { ...post, fence: -1 })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } })
    expect(await request(carolPage, 'locks:release', { ...post })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } })
    expect(await request(carolPage, 'audit:list', { limit: 100_000 })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } })
    expect(await request(carolPage, 'audit:list', { limit: 5, resourceId: 'Post' })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } })
    // A fence that is not the lease's ends nothing.
    expect(unwrap(await request<{ released: boolean }>(carolPage, 'locks:release', { ...post, fence: fence + 1000 }))).toEqual({ released: false })

    // Carol releases it: Alice's tab hears who, then that the record is free.
    const ended = nextEvent<LockEndedEvent>(aliceTab, 'lock:ended')
    const freed = nextEvent<LockStateEvent>(aliceTab, 'lock:state', (state) => state.lease === null)
    // The record stays on the page, viewed: Alice's page (a viewer now) and Bob's are still on it.
    const unheld = nextEvent<LocksSnapshot>(carolPage, 'locks:snapshot', (snapshot) => rowOf(snapshot, post)?.holder === null)
    expect(unwrap(await request<{ released: boolean }>(carolPage, 'locks:release', { ...post, fence }))).toEqual({ released: true })
    expect(await ended).toMatchObject({ ...post, fence, reason: 'force-released', by: { id: 'carol' } })
    await freed
    expect(rowOf(await unheld, post)).toMatchObject({ holder: null, fence: null, sinceMs: null, lastActiveMs: null, canRelease: false })
    expect(
      rowOf(await unheld, post)!
        .viewers.map((viewer) => viewer.id)
        .sort(),
    ).toEqual(['alice', 'bob'])
    // A viewed row is nothing to release, whatever fence is sent.
    expect(unwrap(await request<{ released: boolean }>(carolPage, 'locks:release', { ...post, fence }))).toEqual({ released: false })
    expect(await app.collaboration['store'].locks.get('Post:2')).toBeNull()

    // Alice's own lock, from "My locks": hers to release, nobody else's shown to her there.
    const aliceOther = await socketOf(app, alice)
    unwrap(await join(aliceOther, other, 'edit'))
    const bobEdits = await socketOf(app, bob)
    unwrap(await join(bobEdits, post, 'edit'))
    const alicePage = await socketOf(app, alice)
    const mine = unwrap(await watch(alicePage, 'mine'))
    expect(mine.rows.map((shown) => [shown.recordId, shown.holder?.id, shown.canRelease])).toEqual([['3', 'alice', true]])
    expect(unwrap(await request<{ released: boolean }>(alicePage, 'locks:release', { ...other, fence: mine.rows[0]!.fence! }))).toEqual({ released: true })

    // A save refused because Bob holds the record, and one refused as stale.
    const api = adminApi(app.url)
    const version = await api.version(alice, '2')
    const held = await api.record(alice, '2', 'edit', { title: 'Alice was here', [VERSION_PARAM]: version })
    expect(held.body.notice?.type).toBe('error')
    unwrap(await request(bobEdits, 'record:leave', post))
    const stale = await api.record(alice, '2', 'edit', { title: 'Alice again', [VERSION_PARAM]: 'an-old-version' })
    expect(stale.body.notice?.type).toBe('error')

    // The audit log has every kind seen here, newest first; filterable by record and by user.
    await eventually(() => audited.length >= 8)
    const log = unwrap(await request<AuditEntryView[]>(carolPage, 'audit:list', { limit: 100 }))
    const kinds = new Set(log.map((entry) => entry.kind))
    for (const expected of ['granted', 'force-released', 'released', 'save-refused-held', 'save-refused-stale']) expect(kinds).toContain(expected)
    const forced = log.find((entry) => entry.kind === 'force-released' && entry.recordId === '2')
    expect(forced).toMatchObject({ ...post, user: { id: 'alice' }, by: { id: 'carol' }, reason: 'admin' })
    expect(log.find((entry) => entry.kind === 'force-released' && entry.recordId === '3')).toMatchObject({ user: { id: 'alice' }, by: { id: 'alice' }, reason: 'own' })
    expect(log.find((entry) => entry.kind === 'save-refused-held')).toMatchObject({ ...post, user: { id: 'alice' }, by: { id: 'bob' } })
    expect(log.map((entry) => entry.atMs)).toEqual([...log.map((entry) => entry.atMs)].sort((a, b) => b - a))

    const ofRecord = unwrap(await request<AuditEntryView[]>(carolPage, 'audit:list', { limit: 100, ...other }))
    expect(ofRecord.length).toBeGreaterThan(0)
    expect(ofRecord.every((entry) => entry.recordId === '3')).toBe(true)
    const ofBob = unwrap(await request<AuditEntryView[]>(carolPage, 'audit:list', { limit: 100, userId: 'bob' }))
    expect(ofBob.length).toBeGreaterThan(0)
    expect(ofBob.every((entry) => entry.user.id === 'bob' || entry.by?.id === 'bob')).toBe(true)
    const page = unwrap(await request<AuditEntryView[]>(carolPage, 'audit:list', { limit: 2 }))
    const next = unwrap(await request<AuditEntryView[]>(carolPage, 'audit:list', { limit: 2, before: page[1]!.id }))
    expect(next[0]?.id).toBe(log[2]?.id)

    // onAudit got each event the log has; its failure was logged, nothing else broke.
    expect(new Set(audited.map((event) => event.kind))).toEqual(kinds)
    expect(warnings.some(([message]) => String(message).includes('onAudit failed'))).toBe(true)
  })

  test('audits a hand-over and a lease that expired after its tab dropped', async () => {
    const audited: AuditEvent[] = []
    const app = await startTestApp({ ...storeOptions(kind), reconnectGraceMs: 200, onAudit: (event) => void audited.push(event) })
    apps.push(app)
    const [alice, bob] = await Promise.all([login(app.url, users.alice), login(app.url, users.bob)])
    const aliceTab = await socketOf(app, alice)
    unwrap(await join(aliceTab, post, 'edit'))
    const bobTab = await socketOf(app, bob)
    const bobJoin = unwrap(await join(bobTab, post, 'edit'))
    const asked = nextEvent<{ fromTabId: string }>(aliceTab, 'attention:requested')
    unwrap(await request(bobTab, 'attention:request', post))
    unwrap(await request<LockStateEvent>(aliceTab, 'lock:handover', { ...post, toTabId: (await asked).fromTabId }))
    expect(bobJoin.tabId).toBe((await asked).fromTabId)
    unwrap(await request(bobTab, 'lock:claim', post))
    // Bob's tab vanishes: after the grace his lease is gone, and the log says it expired.
    bobTab.disconnect()
    await eventually(() => audited.some((event) => event.kind === 'expired'))
    const log = unwrap(await request<AuditEntryView[]>(aliceTab, 'audit:list', { limit: 20, ...post }))
    expect(log.find((entry) => entry.kind === 'handed-over')).toMatchObject({ user: { id: 'alice' }, by: { id: 'bob' } })
    expect(log.find((entry) => entry.kind === 'expired')).toMatchObject({ user: { id: 'bob' }, reason: 'disconnected' })
    expect(await app.collaboration['store'].locks.get('Post:2')).toBeNull()
  })

  test('a record only viewed is listed without an editor to those who see every lock, never in My locks, and leaves with its last viewer', async () => {
    const app = await startTestApp({ ...storeOptions(kind), canViewLocks: (admin) => admin.id === 'carol' })
    apps.push(app)
    const [bob, carol, dave] = await Promise.all([login(app.url, users.bob), login(app.url, users.carol), login(app.url, users.dave)])
    const carolPage = await socketOf(app, carol)
    const davePage = await socketOf(app, dave)
    expect(rowOf(unwrap(await watch(carolPage)), other)).toBeUndefined()
    unwrap(await watch(davePage))
    const bobTab = await socketOf(app, bob)
    unwrap(await join(bobTab, other, 'show'))
    const listed = await nextEvent<LocksSnapshot>(carolPage, 'locks:snapshot', (snapshot) => rowOf(snapshot, other) !== undefined)
    expect(rowOf(listed, other)).toMatchObject({
      holder: null,
      fence: null,
      sinceMs: null,
      lastActiveMs: null,
      unsaved: false,
      canRelease: false,
      queueLength: 0,
      resourceName: 'Post',
    })
    expect(rowOf(listed, other)!.viewers.map((viewer) => viewer.id)).toEqual(['bob'])
    expect(rowOf(listed, other)!.title).toEqual(expect.any(String))
    // Not for an admin who sees only their own locks, nor in anyone's "My locks".
    expect(unwrap(await watch(davePage)).rows).toEqual([])
    expect(unwrap(await watch(await socketOf(app, carol), 'mine')).rows).toEqual([])
    const gone = nextEvent<LocksSnapshot>(carolPage, 'locks:snapshot', (snapshot) => rowOf(snapshot, other) === undefined)
    unwrap(await request(bobTab, 'record:leave', other))
    await gone
  })

  test('without canViewLocks an admin sees only their own locks and audit events', async () => {
    const app = await startTestApp({ ...storeOptions(kind), canViewLocks: (admin) => admin.id === 'carol' })
    apps.push(app)
    const [alice, bob] = await Promise.all([login(app.url, users.alice), login(app.url, users.bob)])
    const aliceTab = await socketOf(app, alice)
    unwrap(await join(aliceTab, post, 'edit'))
    const bobPage = await socketOf(app, bob)
    const seen = unwrap(await watch(bobPage))
    expect(seen).toMatchObject({ canViewAll: false, rows: [] })
    expect(await request(bobPage, 'audit:list', { limit: 10, userId: 'alice' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    const own = unwrap(await request<AuditEntryView[]>(bobPage, 'audit:list', { limit: 10 }))
    expect(own.every((entry) => entry.user.id === 'bob' || entry.by?.id === 'bob')).toBe(true)
  })
})

test('across two processes: a lease held on one is listed and released from the other, and stays released', async () => {
  const audited: AuditEvent[] = []
  // Short leases: the editor's process renews every second, so a lease it kept renewing would be back at once.
  const options = { ...storeOptions('redis'), ...permissions(audited), lockTtlMs: 3000, reconnectGraceMs: 0 }
  const shared = { store: new session.MemoryStore(), secret: 'locks-page-test-secret' }
  apps.push(await startTestApp(options, { session: shared }), await startTestApp(options, { session: shared }))
  const [a, b] = apps as [TestApp, TestApp]
  const alice = await login(a.url, users.alice)
  const carol = await login(b.url, users.carol)

  const carolPage = await socketOf(b, carol)
  unwrap(await watch(carolPage))
  const aliceTab = await socketOf(a, alice)
  const joined = unwrap(await join(aliceTab, post, 'edit'))

  // Process B has no socket on the record: it learns of the lease by reading the shared index.
  const listed = await nextEvent<LocksSnapshot>(carolPage, 'locks:snapshot', (snapshot) => rowOf(snapshot, post) !== undefined)
  expect(rowOf(listed, post)).toMatchObject({ holder: { id: 'alice' }, fence: joined.lease!.fence })

  const ended = nextEvent<LockEndedEvent>(aliceTab, 'lock:ended')
  expect(unwrap(await request<{ released: boolean }>(carolPage, 'locks:release', { ...post, fence: joined.lease!.fence }))).toEqual({ released: true })
  expect(await ended).toMatchObject({ by: { id: 'carol' } })

  // Alice's process stops renewing it: after several of its renewal rounds the record is still free.
  await new Promise((resolve) => setTimeout(resolve, 3500))
  expect(await a.collaboration['store'].locks.get('Post:2')).toBeNull()
  await eventually(() => audited.some((event) => event.kind === 'force-released'))
  expect(audited.filter((event) => event.kind === 'force-released')).toHaveLength(1)
})

test('across two processes: a record viewed on one is listed on the other', async () => {
  const options = storeOptions('redis')
  const shared = { store: new session.MemoryStore(), secret: 'locks-page-test-secret' }
  apps.push(await startTestApp(options, { session: shared }), await startTestApp(options, { session: shared }))
  const [a, b] = apps as [TestApp, TestApp]
  const carolPage = await socketOf(b, await login(b.url, users.carol))
  unwrap(await watch(carolPage))
  const bobTab = await socketOf(a, await login(a.url, users.bob))
  unwrap(await join(bobTab, other, 'show'))
  const listed = await nextEvent<LocksSnapshot>(carolPage, 'locks:snapshot', (snapshot) => rowOf(snapshot, other) !== undefined)
  expect(rowOf(listed, other)).toMatchObject({ holder: null, viewers: [{ id: 'bob' }] })
})
