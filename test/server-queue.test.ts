/**
 * The record's line ("Notify me when free") over real sockets, on both stores: order kept and told
 * to the room, the first in line gets the freed lock before a plain claimer (who is answered
 * `queued`), the others move up, a dropped tab or one leaving the edit page gives its place up, a
 * copied token of another user removes nobody, and bad payloads are refused with codes.
 */
import { ErrorCode, type LockStateEvent, type QueueReply, type QueueStateEvent } from '../src/protocol.js'
import type { AuditEvent } from '../src/store/store.js'
import { loginAll, startTestApp, storeOptions, type TestApp } from './support/app.js'
import { nextEvent, request, unwrap } from './support/clients.js'
import { RecordTabs } from './support/record-tabs.js'

const post = { resourceId: 'Post', recordId: '3' }
const names = (state: QueueStateEvent) => state.entries.map((entry) => `${entry.position}:${entry.user.name}`)

describe.each(['memory', 'redis'] as const)('with the %s store', (store) => {
  let app: TestApp
  let cookies: Awaited<ReturnType<typeof loginAll>>
  const tabs = new RecordTabs(() => app.url)
  const join = (cookie: string, intent: 'edit' | 'show' = 'edit', token?: string) => tabs.join(cookie, post, intent, token)
  const queue = (tab: { socket: Parameters<typeof request>[0] }, action: string, extra: object = {}) => request<QueueReply>(tab.socket, 'lock:queue', { ...post, action, ...extra })

  /** What onAudit received, as a user's callback would. */
  const audited: AuditEvent[] = []

  beforeAll(async () => {
    // No grace: a dropped editor frees the record at once.
    app = await startTestApp({ ...storeOptions(store), reconnectGraceMs: 0, onAudit: (event) => void audited.push(event) })
    cookies = await loginAll(app)
  })

  afterEach(() => tabs.closeAll())

  afterAll(async () => {
    await app?.close()
  })

  test('keeps arrival order, tells the room, and the first in line gets the freed lock before a plain claimer', async () => {
    const alice = await join(cookies.alice)
    expect(alice.reply.lease?.tabId).toBe(alice.reply.tabId)
    const bob = await join(cookies.bob)
    const carol = await join(cookies.carol)
    // Dave here is Bob's second tab: a plain claimer, never in line (Dave may not edit posts).
    const dave = await join(cookies.bob)

    const heard = nextEvent<QueueStateEvent>(alice.socket, 'queue:state', (state) => state.entries.length === 2)
    expect(unwrap(await queue(bob, 'join'))).toMatchObject({ position: 1, turnEndsInMs: null })
    expect(unwrap(await queue(carol, 'join'))).toMatchObject({ position: 2 })
    expect(names(await heard)).toEqual(['1:Bob Chen', '2:Carol Diaz'])
    // Joining again keeps the place; the editor may not join.
    expect(unwrap(await queue(bob, 'join')).position).toBe(1)
    expect(await queue(alice, 'join')).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } })
    // Dave only looks at the line.
    expect(unwrap(await queue(dave, 'list'))).toMatchObject({ position: null, entries: [{ tabId: bob.reply.tabId }, { tabId: carol.reply.tabId }] })

    // Alice leaves: Dave (not in line) and Carol (second) claim first, and are refused with `queued`.
    const movedUp = nextEvent<QueueStateEvent>(carol.socket, 'queue:state', (state) => state.entries.length === 1)
    unwrap(await request(alice.socket, 'record:leave', post))
    expect(await request(dave.socket, 'lock:claim', post)).toMatchObject({ ok: false, error: { code: ErrorCode.Queued } })
    expect(await request(carol.socket, 'lock:claim', post)).toMatchObject({ ok: false, error: { code: ErrorCode.Queued } })
    const granted = unwrap(await request<LockStateEvent>(bob.socket, 'lock:claim', post))
    expect(granted.lease?.tabId).toBe(bob.reply.tabId)
    // Bob left the line with the grant; Carol moved up, and is told.
    expect(names(await movedUp)).toEqual(['1:Carol Diaz'])
    expect(unwrap(await queue(carol, 'list')).position).toBe(1)
  })

  test('a dropped tab and a tab leaving the record give their place up; the others move up', async () => {
    await join(cookies.alice)
    const bob = await join(cookies.bob)
    const carol = await join(cookies.carol)
    const dave = await join(cookies.alice)
    for (const tab of [bob, carol, dave]) unwrap(await queue(tab, 'join'))

    const afterDrop = nextEvent<QueueStateEvent>(dave.socket, 'queue:state', (state) => state.entries.length === 2)
    bob.socket.disconnect()
    expect(names(await afterDrop)).toEqual(['1:Carol Diaz', '2:Alice Martin'])

    const afterLeave = nextEvent<QueueStateEvent>(dave.socket, 'queue:state', (state) => state.entries.length === 1)
    unwrap(await request(carol.socket, 'record:leave', post))
    expect(names(await afterLeave)).toEqual(['1:Alice Martin'])

    const afterOwnLeave = nextEvent<QueueStateEvent>(dave.socket, 'queue:state', (state) => state.entries.length === 0)
    expect(unwrap(await queue(dave, 'leave'))).toMatchObject({ position: null, entries: [] })
    await afterOwnLeave
  })

  test('joining and leaving the line are audited once each, with why the tab left', async () => {
    audited.length = 0
    await join(cookies.alice)
    const bob = await join(cookies.bob)
    const carol = await join(cookies.carol)
    const dave = await join(cookies.alice)
    for (const tab of [bob, carol, dave]) unwrap(await queue(tab, 'join'))
    // A second "Notify me" keeps the place and is no second entry.
    unwrap(await queue(bob, 'join'))
    unwrap(await queue(bob, 'leave'))
    // Leaving again: nobody left, nothing to audit.
    unwrap(await queue(bob, 'leave'))
    unwrap(await request(carol.socket, 'record:leave', post))
    const dropped = nextEvent<QueueStateEvent>(bob.socket, 'queue:state', (state) => state.entries.length === 0)
    dave.socket.disconnect()
    await dropped
    const queueEvents = async () => {
      for (let i = 0; i < 100; i++) {
        const seen = audited.filter((event) => event.kind.startsWith('queue-') && event.recordId === post.recordId)
        if (seen.length >= 6) return seen
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return audited.filter((event) => event.kind.startsWith('queue-'))
    }
    const seen = (await queueEvents()).map(({ kind, user, reason }) => `${kind} ${user.id}: ${reason}`)
    expect(seen.sort()).toEqual(
      [
        'queue-joined bob: number 1 of 1 in line',
        'queue-joined carol: number 2 of 2 in line',
        'queue-joined alice: number 3 of 3 in line',
        'queue-left bob: left the line',
        'queue-left carol: left the page',
        'queue-left alice: disconnected',
      ].sort(),
    )
  })

  test('a copied token of another user neither joins as that tab nor removes it from the line', async () => {
    await join(cookies.alice)
    const bob = await join(cookies.bob)
    unwrap(await queue(bob, 'join'))
    // Carol's page carries Bob's tab token (copied from a form).
    const impostor = await join(cookies.carol, 'edit', bob.token)
    expect(await queue(impostor, 'join')).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } })
    expect(unwrap(await queue(impostor, 'leave')).entries.map((entry) => entry.user.name)).toEqual(['Bob Chen'])
    unwrap(await request(impostor.socket, 'record:leave', post))
    impostor.socket.disconnect()
    expect(unwrap(await queue(bob, 'list')).position).toBe(1)
  })

  test('a first in line who lets the turn pass drops out, and the next is told and gets the lock', async () => {
    // Renewals (of the line too) every 200 ms, so the turn's end is found without anyone claiming.
    const short = await startTestApp({ ...storeOptions(store), reconnectGraceMs: 0, queueTurnMs: 300, lockTtlMs: 3000, heartbeatIntervalMs: 200 })
    const shortTabs = new RecordTabs(() => short.url)
    try {
      const logins = await loginAll(short)
      const alice = await shortTabs.join(logins.alice, post)
      const bob = await shortTabs.join(logins.bob, post)
      const carol = await shortTabs.join(logins.carol, post)
      for (const tab of [bob, carol]) unwrap(await queue(tab, 'join'))
      unwrap(await request(alice.socket, 'record:leave', post))
      // Bob's page is away (it never claims); Carol's refused claim starts his turn.
      expect(await request(carol.socket, 'lock:claim', post)).toMatchObject({ ok: false, error: { code: ErrorCode.Queued } })
      // Nobody claims meanwhile: the renewal of the line finds the turn over, and the room hears Carol is first.
      const told = await nextEvent<QueueStateEvent>(carol.socket, 'queue:state', (state) => state.entries[0]?.tabId === carol.reply.tabId)
      expect(names(told)).toEqual(['1:Carol Diaz'])
      expect(unwrap(await request<LockStateEvent>(carol.socket, 'lock:claim', post)).lease?.tabId).toBe(carol.reply.tabId)
      expect(unwrap(await queue(bob, 'list'))).toMatchObject({ position: null, entries: [] })
    } finally {
      await shortTabs.closeAll()
      await short.close()
    }
  })

  test('refuses bad payloads and pages that cannot edit, with codes, changing nothing', async () => {
    await join(cookies.alice)
    const viewer = await join(cookies.bob, 'show')
    const editor = await join(cookies.carol)
    expect(await queue(viewer, 'join')).toMatchObject({ ok: false, error: { code: ErrorCode.Forbidden } })
    expect(await queue(editor, 'jump')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    expect(await queue(editor, 'join', { position: 1 })).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    expect(await request(editor.socket, 'lock:queue', { resourceId: 'Post', recordId: '2', action: 'join' })).toMatchObject({ ok: false, error: { code: ErrorCode.NotJoined } })
    expect(await request(editor.socket, 'lock:queue', 'join')).toMatchObject({ ok: false, error: { code: ErrorCode.InvalidPayload } })
    expect(unwrap(await queue(editor, 'list')).entries).toEqual([])
  })
})
