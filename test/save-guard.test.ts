/**
 * The server refuses writes from anyone but the lock holder, whatever the client does: these
 * tests skip the browser and POST straight to AdminJS's API with a logged-in session cookie.
 */
import { TAB_TOKEN_PARAM, type JoinReply } from '../src/protocol.js'
import { loginAll, startTestApp, type TestApp } from './support/app.js'
import { newTabToken, openSocket, request, unwrap, type TestSocket } from './support/clients.js'

let app: TestApp
let cookies: Awaited<ReturnType<typeof loginAll>>
const held: Array<{ socket: TestSocket; recordId: string }> = []

async function holdLock(cookie: string, recordId: string, token = newTabToken()) {
  const socket = await openSocket(app.url, { cookie })
  held.push({ socket, recordId })
  unwrap(await request<JoinReply>(socket, 'lock:join', { resourceId: 'Post', recordId, tabToken: token, intent: 'edit' }))
  return { socket, token }
}

async function post(cookie: string, path: string, fields: Record<string, string> = {}) {
  const response = await fetch(`${app.url}/admin/api/resources/Post${path}`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  })
  return { status: response.status, body: (await response.json()) as { notice?: { type: string; message: string } } }
}

async function row(id: string) {
  return (await app.postById(id)) as { title: string } | null
}

beforeAll(async () => {
  app = await startTestApp()
  cookies = await loginAll(app)
})

afterEach(async () => {
  for (const { socket, recordId } of held.splice(0)) {
    unwrap(await request(socket, 'lock:leave', { resourceId: 'Post', recordId }))
    socket.close()
  }
})

afterAll(async () => {
  await app?.close()
})

test("bob's direct save of a record alice holds is refused and writes nothing", async () => {
  const before = await row('1')
  await holdLock(cookies.alice, '1')
  const { body } = await post(cookies.bob, '/records/1/edit', { title: 'Bob was here' })
  expect(body.notice).toMatchObject({ type: 'error' })
  expect(body.notice?.message).toContain('Alice Martin')
  expect(await row('1')).toEqual(before)
})

test('the holder saves normally', async () => {
  const alice = await holdLock(cookies.alice, '2')
  const { body } = await post(cookies.alice, '/records/2/edit', { title: 'Alice edited', [TAB_TOKEN_PARAM]: alice.token })
  expect(body.notice).toMatchObject({ type: 'success' })
  expect((await row('2'))?.title).toBe('Alice edited')
})

test("a save from the holder's other tab is refused", async () => {
  const before = await row('3')
  await holdLock(cookies.alice, '3')
  const { body } = await post(cookies.alice, '/records/3/edit', { title: 'From the other tab', [TAB_TOKEN_PARAM]: newTabToken() })
  expect(body.notice).toMatchObject({ type: 'error' })
  expect(await row('3')).toEqual(before)
})

test('delete and bulk delete of a held record are refused', async () => {
  await holdLock(cookies.alice, '1')
  const single = await post(cookies.bob, '/records/1/delete')
  expect(single.body.notice).toMatchObject({ type: 'error' })
  const bulk = await post(cookies.bob, '/bulk/bulkDelete?recordIds=1,2')
  expect(bulk.body.notice).toMatchObject({ type: 'error' })
  expect(await row('1')).not.toBeNull()
  expect(await row('2')).not.toBeNull()
})

test('a free record saves for anyone allowed to edit', async () => {
  const { body } = await post(cookies.bob, '/records/2/edit', { title: 'Bob, unopposed' })
  expect(body.notice).toMatchObject({ type: 'success' })
  expect((await row('2'))?.title).toBe('Bob, unopposed')
})
