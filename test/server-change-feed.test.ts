/**
 * The change feed (#14) over real sockets, on both stores and across two processes: every write
 * made through the admin (edit, new, delete, bulk delete) reaches the admins who may see the
 * resource, as `change:feed` with who, what and which fields (names only); nobody else; a
 * permission taken away stops the feed within one session re-check; writes outside the admin and
 * resources with `changeFeed: false` send nothing; `feed:recent` reads the log back, filtered the
 * same way, and refuses bad requests with codes.
 */
import session from 'express-session'
import type { ActionContext } from 'adminjs'
import { VERSION_PARAM, type ChangeEvent, type FeedRecentReply } from '../src/protocol.js'
import { adminApi } from './support/admin-api.js'
import { login, nextEvent, recordEvents, request, unwrap } from './support/clients.js'
import { closedAfterEach } from './support/opened.js'
import { startTestApp, storeOptions, users, type TestApp } from './support/app.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const { apps, socketOf } = closedAfterEach()

/** Waits until `seen` has `count` events (or a few seconds pass, and the assertion after it fails). */
async function heard(seen: ChangeEvent[], count: number): Promise<ChangeEvent[]> {
  for (let i = 0; i < 300 && seen.length < count; i++) await sleep(10)
  return seen
}

/** Readers (Dave) may not list or show Posts while `hidden` says so; editors always may. */
function postsHiddenFromReaders(hidden: { on: boolean }) {
  const mayRead = ({ currentAdmin }: ActionContext) => currentAdmin?.role === 'editor' || !hidden.on
  return { list: { isAccessible: mayRead }, show: { isAccessible: mayRead } }
}

describe.each(['memory', 'redis'] as const)('the change feed on the %s store', (kind) => {
  test('an edit, a create, a delete and a bulk delete reach whoever may see Posts, with who and which fields; nobody else', async () => {
    const hidden = { on: true }
    const app = await startTestApp({ ...storeOptions(kind) }, { postActions: postsHiddenFromReaders(hidden), pageFeature: { changeFeed: false } })
    apps.push(app)
    const [alice, bob, dave] = await Promise.all([login(app.url, users.alice), login(app.url, users.bob), login(app.url, users.dave)])
    const bobFeed = recordEvents<ChangeEvent>(await socketOf(app, bob), 'change:feed')
    const daveFeed = recordEvents<ChangeEvent>(await socketOf(app, dave), 'change:feed')
    const aliceFeed = recordEvents<ChangeEvent>(await socketOf(app, alice), 'change:feed')
    await sleep(100)
    const api = adminApi(app.url)

    const version = await api.version(alice, '1')
    const saved = await api.record(alice, '1', 'edit', { title: 'Renamed by Alice', [VERSION_PARAM]: version })
    expect(saved.body.notice?.type).toBe('success')
    const [edited] = await heard(bobFeed, 1)
    expect(edited).toMatchObject({
      kind: 'updated',
      resourceId: 'Post',
      recordId: '1',
      title: 'Renamed by Alice',
      resourceName: 'Post',
      by: { id: 'alice', name: 'Alice Martin' },
      fields: ['title'],
    })
    expect(edited!.id).toEqual(expect.any(String))
    expect(edited!.atMs).toBeGreaterThan(0)
    // Only names: no value of any field travels.
    expect(JSON.stringify(edited)).not.toContain('status')

    const created = await api.resource(alice, 'new', { title: 'A new post', body: 'Fresh', status: 'draft' })
    expect(created.body.notice?.type).toBe('success')
    const newId = String(created.body.record?.params.id)
    const [, made] = await heard(bobFeed, 2)
    expect(made).toMatchObject({ kind: 'created', recordId: newId, title: 'A new post', by: { id: 'alice' } })
    expect(made!.fields).toEqual(expect.arrayContaining(['title', 'body', 'status']))

    expect((await api.record(alice, newId, 'delete')).body.notice?.type).toBe('success')
    const [, , deleted] = await heard(bobFeed, 3)
    expect(deleted).toMatchObject({ kind: 'deleted', recordId: newId, title: 'A new post', fields: [] })

    const extra = [await api.resource(alice, 'new', { title: 'One' }), await api.resource(alice, 'new', { title: 'Two' })].map((reply) => String(reply.body.record?.params.id))
    await heard(bobFeed, 5)
    expect((await api.bulk(alice, 'bulkDelete', extra)).body.notice?.type).toBe('success')
    const all = await heard(bobFeed, 7)
    expect(
      all
        .slice(5)
        .map((change) => [change.kind, change.recordId])
        .sort(),
    ).toEqual(extra.map((id) => ['deleted', id]).sort())
    // Ids grow in publication order.
    const ids = all.map((change) => change.id)
    expect(new Set(ids).size).toBe(ids.length)

    // The writer hears their own changes too (another tab of theirs may show them); Dave, who may
    // not see Posts, heard nothing.
    expect((await heard(aliceFeed, 7)).length).toBe(7)
    expect(daveFeed).toEqual([])

    // feed:recent reads the same back, newest first, for Bob; nothing of Posts for Dave.
    const bobReply = unwrap(await request<FeedRecentReply>(await socketOf(app, bob), 'feed:recent', { limit: 100 }))
    expect(bobReply.me).toMatchObject({ id: 'bob', name: 'Bob Chen' })
    const bobRecent = bobReply.changes
    expect(bobRecent.map((change) => change.id)).toEqual([...ids].reverse())
    expect(unwrap(await request<FeedRecentReply>(await socketOf(app, bob), 'feed:recent', { limit: 2, before: ids[6] })).changes).toEqual([bobRecent[1], bobRecent[2]])
    expect(unwrap(await request<FeedRecentReply>(await socketOf(app, dave), 'feed:recent', { limit: 100 })).changes).toEqual([])

    // Pages have changeFeed: false: a save there reaches nobody's feed.
    const pages = adminApi(app.url, 'Page')
    const [pageId] = await app.pageIds()
    const pageVersion = await pages.version(alice, pageId!)
    expect((await pages.record(alice, pageId!, 'edit', { title: 'Quiet page', [VERSION_PARAM]: pageVersion })).body.notice?.type).toBe('success')
    // A write outside the admin (server code, no admin): not seen either.
    await app.admin.findResource('Post').update('1', { title: 'Written by a script' })
    await sleep(300)
    expect(bobFeed.length).toBe(7)
  })

  test('a permission given or taken away changes the feed within one session re-check', async () => {
    const hidden = { on: true }
    const app = await startTestApp({ ...storeOptions(kind), heartbeatIntervalMs: 300 }, { postActions: postsHiddenFromReaders(hidden) })
    apps.push(app)
    const [alice, dave] = await Promise.all([login(app.url, users.alice), login(app.url, users.dave)])
    const daveFeed = recordEvents<ChangeEvent>(await socketOf(app, dave), 'change:feed')
    const api = adminApi(app.url)
    const save = async (title: string) => {
      const version = await api.version(alice, '2')
      expect((await api.record(alice, '2', 'edit', { title, [VERSION_PARAM]: version })).body.notice?.type).toBe('success')
    }
    await save('While hidden')
    await sleep(200)
    expect(daveFeed).toEqual([])
    hidden.on = false
    await sleep(700)
    await save('Now visible')
    expect((await heard(daveFeed, 1)).map((change) => change.title)).toEqual(['Now visible'])
    hidden.on = true
    await sleep(700)
    await save('Hidden again')
    await sleep(300)
    expect(daveFeed.map((change) => change.title)).toEqual(['Now visible'])
  })

  test('feed:recent refuses bad requests with a code', async () => {
    const app = await startTestApp({ ...storeOptions(kind) })
    apps.push(app)
    const socket = await socketOf(app, await login(app.url, users.bob))
    for (const bad of [
      {},
      { limit: 0 },
      { limit: 101 },
      { limit: 1.5 },
      { limit: '10' },
      { limit: 5, before: '' },
      { limit: 5, before: 7 },
      { limit: 5, extra: true },
      null,
      'recent',
    ]) {
      expect(await request(socket, 'feed:recent', bad)).toMatchObject({ ok: false, error: { code: 'invalid_payload' } })
    }
    expect(await request(socket, 'feed:recent', { limit: 5, before: 'not-an-id' })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } })
    expect(unwrap(await request<FeedRecentReply>(socket, 'feed:recent', { limit: 5 })).changes).toEqual([])
  })
})

test('across two processes: a save on one reaches an admin on the other, in the log both read', async () => {
  const options = storeOptions('redis')
  const shared = { store: new session.MemoryStore(), secret: 'change-feed-test-secret' }
  apps.push(await startTestApp(options, { session: shared }), await startTestApp(options, { session: shared }))
  const [a, b] = apps as [TestApp, TestApp]
  const alice = await login(a.url, users.alice)
  const bobSocket = await socketOf(b, await login(b.url, users.bob))
  await sleep(100)
  const told = nextEvent<ChangeEvent>(bobSocket, 'change:feed')
  const api = adminApi(a.url)
  const version = await api.version(alice, '3')
  expect((await api.record(alice, '3', 'edit', { title: 'Saved on A', [VERSION_PARAM]: version })).body.notice?.type).toBe('success')
  const change = await told
  expect(change).toMatchObject({ kind: 'updated', recordId: '3', title: 'Saved on A', by: { id: 'alice' } })
  expect(unwrap(await request<FeedRecentReply>(bobSocket, 'feed:recent', { limit: 1 })).changes).toEqual([change])
})
