/**
 * The guard at the write: no path writes a record someone else holds, and every write is checked
 * against the version it was built from. These tests skip the browser and call AdminJS's API with
 * logged-in session cookies, by every path a write can take: edit, delete, bulk delete, `new` with
 * an existing id, custom record and bulk actions, HEAD requests (fetch and raw node:http with a
 * body), saves without a version and deletes with a stale one. The database row is read directly.
 */
import { TAB_TOKEN_PARAM, VERSION_PARAM, type JoinReply } from '../src/protocol.js'
import { defaultTexts } from '../src/texts.js'
import { adminApi, type AdminApi } from './support/admin-api.js'
import { loginAll, startTestApp, writingTestActions, type TestApp } from './support/app.js'
import { newTabToken, openSocket, request, unwrap, type TestSocket } from './support/clients.js'

let app: TestApp
let api: AdminApi
let pages: AdminApi
let cookies: Awaited<ReturnType<typeof loginAll>>
const held: Array<{ socket: TestSocket; recordId: string; resourceId: string }> = []

async function holdLock(cookie: string, recordId: string, token = newTabToken(), resourceId = 'Post') {
  const socket = await openSocket(app.url, { cookie })
  held.push({ socket, recordId, resourceId })
  unwrap(await request<JoinReply>(socket, 'record:join', { resourceId, recordId, tabToken: token, intent: 'edit' }))
  return { socket, token }
}

const row = async (id: string) => app.postById(id)

beforeAll(async () => {
  app = await startTestApp({}, { postActions: writingTestActions, pageFeature: { requireVersion: false } })
  api = adminApi(app.url)
  pages = adminApi(app.url, 'Page')
  cookies = await loginAll(app)
})

afterEach(async () => {
  for (const { socket, recordId, resourceId } of held.splice(0)) {
    unwrap(await request(socket, 'record:leave', { resourceId, recordId }))
    socket.close()
  }
})

afterAll(async () => {
  await app?.close()
})

describe('a record someone else holds', () => {
  test("bob's save is refused, naming alice, and writes nothing", async () => {
    const before = await row('1')
    await holdLock(cookies.alice, '1')
    const version = await api.version(cookies.bob, '1')
    const { body } = await api.record(cookies.bob, '1', 'edit', { title: 'Bob was here', [VERSION_PARAM]: version })
    expect(body.notice).toMatchObject({ type: 'error', message: 'Not saved: Alice Martin is editing this record. Your changes are still in the form.' })
    expect(await row('1')).toEqual(before)
  })

  test('the holder saves normally', async () => {
    const alice = await holdLock(cookies.alice, '2')
    const version = await api.version(cookies.alice, '2')
    const { body } = await api.record(cookies.alice, '2', 'edit', { title: 'Alice edited', [TAB_TOKEN_PARAM]: alice.token, [VERSION_PARAM]: version })
    expect(body.notice).toMatchObject({ type: 'success' })
    expect((await row('2'))?.title).toBe('Alice edited')
  })

  test("a save from the holder's other tab is refused", async () => {
    const before = await row('3')
    await holdLock(cookies.alice, '3')
    const version = await api.version(cookies.alice, '3')
    const { body } = await api.record(cookies.alice, '3', 'edit', { title: 'From the other tab', [TAB_TOKEN_PARAM]: newTabToken(), [VERSION_PARAM]: version })
    expect(body.notice).toMatchObject({ type: 'error', message: defaultTexts.saveRefusedOtherTabText })
    expect(await row('3')).toEqual(before)
  })

  test('delete and bulk delete are refused with a text of their own', async () => {
    await holdLock(cookies.alice, '1')
    const single = await api.record(cookies.bob, '1', 'delete')
    expect(single.body.notice).toMatchObject({ type: 'error', message: 'Not deleted: Alice Martin is editing this record.' })
    const one = await api.bulk(cookies.bob, 'bulkDelete', ['1'])
    expect(one.body.notice).toMatchObject({ type: 'error', message: 'Not deleted: Alice Martin is editing this record.' })
    // A batch names every held record with its editor.
    await holdLock(cookies.carol, '3')
    const bulk = await api.bulk(cookies.bob, 'bulkDelete', ['1', '2', '3'])
    expect(bulk.body.notice).toMatchObject({
      type: 'error',
      message: 'Nothing was deleted: someone else is editing “Welcome to the collaborative admin” (Alice Martin), “Style guide” (Carol Diaz).',
    })
    expect(await row('1')).not.toBeNull()
    expect(await row('2')).not.toBeNull()
    expect(await row('3')).not.toBeNull()
  })

  test('HEAD requests write nothing: delete through fetch, edit with a body through node:http', async () => {
    const before = await row('1')
    await holdLock(cookies.alice, '1')
    const version = await api.version(cookies.bob, '1')
    await api.fetchMethod(cookies.bob, 'HEAD', '/records/1/delete')
    await api.raw(cookies.bob, 'HEAD', '/records/1/delete')
    await api.raw(cookies.bob, 'HEAD', '/records/1/edit', { title: 'Bob by HEAD', [VERSION_PARAM]: version })
    await api.raw(cookies.bob, 'HEAD', '/bulk/bulkDelete?recordIds=1')
    expect(await row('1')).toEqual(before)
  })

  test('`new` with the id of an existing record is refused, held or not, and overwrites nothing', async () => {
    const before = await row('2')
    await holdLock(cookies.alice, '2')
    const held = await api.resource(cookies.bob, 'new', { id: '2', title: 'Bob overwrites', body: 'x', status: 'draft' })
    expect(held.body.notice).toMatchObject({ type: 'error', message: 'Not saved: Alice Martin is editing this record. Your changes are still in the form.' })
    const free = await api.resource(cookies.bob, 'new', { id: '3', title: 'Bob overwrites', body: 'x', status: 'draft' })
    expect(free.body.notice).toMatchObject({ type: 'error', message: defaultTexts.createExistsText })
    expect(await row('2')).toEqual(before)
    expect((await row('3'))?.title).not.toBe('Bob overwrites')
    // A new record (no id) is created as always.
    const created = await api.resource(cookies.bob, 'new', { title: 'A new post', body: 'x', status: 'draft' })
    expect(created.body.notice).toMatchObject({ type: 'success' })
    await api.record(cookies.bob, String(created.body.record?.params.id), 'delete')
  })

  test('a custom record action and a custom bulk action that write are refused', async () => {
    const before = await row('3')
    await holdLock(cookies.alice, '3')
    expect((await api.record(cookies.bob, '3', 'publish')).body.notice).toMatchObject({
      type: 'error',
      message: 'Not saved: Alice Martin is editing this record. Your changes are still in the form.',
    })
    expect((await api.bulk(cookies.bob, 'bulkPublish', ['3'])).body.notice).toMatchObject({ type: 'error' })
    // HEAD on the custom action too.
    await api.raw(cookies.bob, 'HEAD', '/records/3/publish')
    expect(await row('3')).toEqual(before)
  })
})

describe('versions', () => {
  test('the version is in the params of the record JSON of edit, show and list, the same in each', async () => {
    const version = await api.version(cookies.bob, '2')
    expect(version).toMatch(/^[\w-]{22}$/)
    expect((await api.read(cookies.bob, '2', 'show')).body.record?.params[VERSION_PARAM]).toBe(version)
    const listed = (await api.list(cookies.bob)).body.records?.find((record) => String(record.id) === '2')
    expect(listed?.params[VERSION_PARAM]).toBe(version)
  })

  test('a save without a version is refused, naming the missing field, and writes nothing', async () => {
    const before = await row('2')
    const { body } = await api.record(cookies.bob, '2', 'edit', { title: 'No version' })
    expect(body.notice?.type).toBe('error')
    expect(body.notice?.message).toContain('`__collaboratorVersion`')
    expect(await row('2')).toEqual(before)
  })

  test('requireVersion: false accepts a save without one (the Page resource here)', async () => {
    const [id] = await app.pageIds()
    const { body } = await pages.record(cookies.bob, id!, 'edit', { title: 'Legacy client' })
    expect(body.notice).toMatchObject({ type: 'success' })
    expect((await app.pageById(id!))?.title).toBe('Legacy client')
  })

  test('a delete built from an older version is refused; one from the current version deletes', async () => {
    const created = await api.resource(cookies.bob, 'new', { title: 'To delete', body: 'x', status: 'draft' })
    const id = String(created.body.record?.params.id)
    const old = await api.version(cookies.bob, id)
    expect((await api.record(cookies.alice, id, 'edit', { title: 'Alice changed it', [VERSION_PARAM]: old })).body.notice?.type).toBe('success')
    const stale = await api.record(cookies.bob, id, 'delete', { [VERSION_PARAM]: old })
    expect(stale.body.notice).toMatchObject({ type: 'error', message: 'Not deleted: Alice Martin changed this record after you loaded it. Reload to see the current version.' })
    expect((await row(id))?.title).toBe('Alice changed it')
    const current = await api.version(cookies.bob, id)
    expect((await api.record(cookies.bob, id, 'delete', { [VERSION_PARAM]: current })).body.notice?.type).toBe('success')
    expect(await row(id)).toBeNull()
  })

  test('a free record saves for anyone allowed to edit, and a custom action on it works', async () => {
    const version = await api.version(cookies.bob, '2')
    expect((await api.record(cookies.bob, '2', 'edit', { title: 'Bob, unopposed', [VERSION_PARAM]: version })).body.notice).toMatchObject({ type: 'success' })
    expect((await row('2'))?.title).toBe('Bob, unopposed')
    expect((await api.record(cookies.bob, '2', 'publish')).body.notice).toMatchObject({ type: 'success' })
    expect((await row('2'))?.status).toBe('published')
  })
})
