/**
 * Live lists (#14) over real sockets, on both stores and across two processes: `list:watch`
 * answers each row's lease and people from one read of the store, then the page hears the rows'
 * lock and presence changes (and only theirs: asking again replaces the rows); only an admin who
 * may list the resource may watch it; bad requests get codes.
 */
import session from 'express-session'
import type { ActionContext } from 'adminjs'
import type { JoinReply, ListWatchReply, LockStateEvent, PresenceChangedEvent } from '../src/protocol.js'
import { login, newTabToken, nextEvent, recordEvents, request, unwrap, type TestSocket } from './support/clients.js'
import { closedAfterEach } from './support/opened.js'
import { startTestApp, storeOptions, users, type TestApp } from './support/app.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const { apps, socketOf } = closedAfterEach()

const join = (socket: TestSocket, recordId: string, intent: 'edit' | 'show') =>
  request<JoinReply>(socket, 'record:join', { resourceId: 'Post', recordId, tabToken: newTabToken(), intent })
const watch = (socket: TestSocket, recordIds: string[], resourceId = 'Post') => request<ListWatchReply>(socket, 'list:watch', { resourceId, recordIds })
const mayList = ({ currentAdmin }: ActionContext) => currentAdmin?.role === 'editor'

describe.each(['memory', 'redis'] as const)('list:watch on the %s store', (kind) => {
  test("answers each row's lease and people, then tells the page of its rows' changes, only of those it watches", async () => {
    const app = await startTestApp({ ...storeOptions(kind), reconnectGraceMs: 0 })
    apps.push(app)
    const [alice, bob, carol] = await Promise.all([login(app.url, users.alice), login(app.url, users.bob), login(app.url, users.carol)])
    const aliceTab = await socketOf(app, alice)
    unwrap(await join(aliceTab, '3', 'edit'))

    const list = await socketOf(app, bob)
    const first = unwrap(await watch(list, ['1', '2', '3', '3']))
    expect(first.rows.map((row) => [row.recordId, row.lease?.user.id ?? null, row.presence.map((person) => person.user.id)])).toEqual([
      ['1', null, []],
      ['2', null, []],
      ['3', 'alice', ['alice']],
    ])
    expect(first.rows[2]).toMatchObject({ lease: { fence: expect.any(Number), unsaved: false }, lockRevision: expect.any(Number), presenceRevision: expect.any(Number) })

    // Alice starts editing post 1, Carol looks at post 2: the list hears both.
    const locked = nextEvent<LockStateEvent>(list, 'lock:state', (state) => state.recordId === '1' && state.lease?.user.id === 'alice')
    const aliceOne = await socketOf(app, alice)
    unwrap(await join(aliceOne, '1', 'edit'))
    expect((await locked).lease?.user.name).toBe('Alice Martin')
    const viewed = nextEvent<PresenceChangedEvent>(list, 'presence:changed', (event) => event.recordId === '2' && event.changes.some((change) => change.userId === 'carol'))
    unwrap(await join(await socketOf(app, carol), '2', 'show'))
    await viewed

    // The page moves on to post 2 only: post 1's changes no longer reach it, post 2's still do.
    unwrap(await watch(list, ['2']))
    const heard = recordEvents<LockStateEvent>(list, 'lock:state')
    unwrap(await request(aliceOne, 'record:leave', { resourceId: 'Post', recordId: '1' }))
    const onTwo = nextEvent<LockStateEvent>(list, 'lock:state', (state) => state.recordId === '2')
    unwrap(await join(await socketOf(app, bob), '2', 'edit'))
    expect((await onTwo).lease?.user.id).toBe('bob')
    expect(heard.filter((state) => state.recordId === '1')).toEqual([])

    // An empty list stops it all.
    unwrap(await watch(list, []))
    const after = recordEvents<LockStateEvent>(list, 'lock:state')
    unwrap(await join(await socketOf(app, carol), '1', 'edit'))
    await sleep(300)
    expect(after).toEqual([])
  })

  test('only an admin who may list the resource may watch it; bad requests get codes and change nothing', async () => {
    const app = await startTestApp({ ...storeOptions(kind) }, { postActions: { list: { isAccessible: mayList } } })
    apps.push(app)
    const [bob, dave] = await Promise.all([login(app.url, users.bob), login(app.url, users.dave)])
    const daveList = await socketOf(app, dave)
    expect(await watch(daveList, ['1'])).toMatchObject({ ok: false, error: { code: 'forbidden' } })
    // Refused: Dave's socket is in no watch room, so he hears nothing of post 1.
    const heard = recordEvents<LockStateEvent>(daveList, 'lock:state')
    unwrap(await join(await socketOf(app, bob), '1', 'edit'))
    await sleep(300)
    expect(heard).toEqual([])

    const bobList = await socketOf(app, bob)
    expect(await watch(bobList, ['1'], 'Nope')).toMatchObject({ ok: false, error: { code: 'not_found' } })
    for (const bad of [
      {},
      { resourceId: 'Post' },
      { resourceId: 'Post', recordIds: '1' },
      { resourceId: 'Post', recordIds: [1] },
      { resourceId: 'Post', recordIds: [''] },
      { resourceId: 'Post', recordIds: Array.from({ length: 501 }, (_, i) => String(i)) },
      { resourceId: 'Post', recordIds: ['1'], extra: true },
      null,
    ]) {
      expect(await request(bobList, 'list:watch', bad)).toMatchObject({ ok: false, error: { code: 'invalid_payload' } })
    }
    expect(
      unwrap(
        await watch(
          bobList,
          Array.from({ length: 500 }, (_, i) => `x${i}`),
        ),
      ).rows,
    ).toHaveLength(500)
  })
})

test('across two processes: a list on one hears a lock taken on the other', async () => {
  const options = storeOptions('redis')
  const shared = { store: new session.MemoryStore(), secret: 'list-watch-test-secret' }
  apps.push(await startTestApp(options, { session: shared }), await startTestApp(options, { session: shared }))
  const [a, b] = apps as [TestApp, TestApp]
  const list = await socketOf(b, await login(b.url, users.bob))
  unwrap(await watch(list, ['2']))
  const locked = nextEvent<LockStateEvent>(list, 'lock:state', (state) => state.recordId === '2' && state.lease !== null)
  unwrap(await join(await socketOf(a, await login(a.url, users.alice)), '2', 'edit'))
  expect((await locked).lease?.user.id).toBe('alice')
})
