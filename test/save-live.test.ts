/**
 * Saves through the admin: every viewer is told after a successful save (and only then), and a
 * save built from an older version of the record than the stored one is refused, lock or no lock.
 */
import { VERSION_PARAM, type JoinReply, type RecordSavedEvent } from '../src/protocol.js'
import { loginAll, startTestApp, storeOptions, type TestApp } from './support/app.js'
import { newTabToken, nextEvent, openSocket, recordEvents, request, unwrap, type TestSocket } from './support/clients.js'

type Notice = { type: string; message: string; options?: Record<string, string> }
type RecordBody = { record?: { params: Record<string, unknown> }; notice?: Notice }

describe.each(['memory', 'redis'] as const)('with the %s store', (store) => {
  let app: TestApp
  let cookies: Awaited<ReturnType<typeof loginAll>>
  const sockets: TestSocket[] = []

  async function api(cookie: string, recordId: string, fields?: Record<string, string>): Promise<RecordBody> {
    const response = await fetch(`${app.url}/admin/api/resources/Post/records/${recordId}/edit`, {
      method: fields ? 'POST' : 'GET',
      headers: { cookie, ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: fields ? new URLSearchParams(fields) : undefined,
    })
    return (await response.json()) as RecordBody
  }

  async function loadVersion(cookie: string, recordId: string): Promise<string> {
    const version = (await api(cookie, recordId)).record?.params[VERSION_PARAM]
    if (typeof version !== 'string') throw new Error('the edit action returned no version')
    return version
  }

  async function join(cookie: string, recordId: string, intent: 'edit' | 'show') {
    const socket = await openSocket(app.url, { cookie })
    sockets.push(socket)
    const tabToken = newTabToken()
    const reply = unwrap(await request<JoinReply>(socket, 'record:join', { resourceId: 'Post', recordId, tabToken, intent }))
    return { socket, reply, tabToken }
  }

  beforeAll(async () => {
    app = await startTestApp(storeOptions(store))
    cookies = await loginAll(app)
  })

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close()
  })

  afterAll(async () => {
    await app?.close()
  })

  test('the edit page receives the version, and the same version on every read', async () => {
    const [id] = (await app.postIds()).map(String)
    const version = await loadVersion(cookies.alice, id!)
    expect(version).toMatch(/^[\w-]{22}$/)
    expect(await loadVersion(cookies.bob, id!)).toBe(version)
  })

  test('a successful save is announced to everyone on the record, after the write', async () => {
    const id = '1'
    const alice = await join(cookies.alice, id, 'edit')
    const bob = await join(cookies.bob, id, 'edit')
    const carol = await join(cookies.carol, id, 'show')
    const heard = [bob, carol].map((v) => nextEvent<RecordSavedEvent>(v.socket, 'record:saved'))
    const version = await loadVersion(cookies.alice, id)
    const saved = await api(cookies.alice, id, { title: 'Announced title', [VERSION_PARAM]: version })
    expect(saved.notice?.type).toBe('success')
    const events = await Promise.all(heard)
    const newVersion = await loadVersion(cookies.carol, id)
    // Only the field the save changed is named, never its value.
    for (const event of events) expect(event).toMatchObject({ resourceId: 'Post', recordId: id, by: { name: 'Alice Martin' }, version: newVersion, fields: ['title'] })
    expect(JSON.stringify(events)).not.toContain('Announced title')
    expect(saved.record?.params[VERSION_PARAM]).toBe(newVersion)
    expect((await app.postById(id))?.title).toBe('Announced title')
    unwrap(await request(alice.socket, 'record:leave', { resourceId: 'Post', recordId: id }))
  })

  test('the announcement names the fields the save changed, not those it sent unchanged', async () => {
    const id = '2'
    const before = await app.postById(id)
    const carol = await join(cookies.carol, id, 'show')
    const heard = nextEvent<RecordSavedEvent>(carol.socket, 'record:saved')
    // The form sends every field; the title goes back as it was.
    const fields = { title: String(before?.title), body: 'A new body', [VERSION_PARAM]: await loadVersion(cookies.alice, id) }
    expect((await api(cookies.alice, id, fields)).notice?.type).toBe('success')
    expect((await heard).fields).toEqual(['body'])
    // A submitted form's line breaks come back as CRLF: the same text to its reader.
    const twoLines = 'First line\nSecond line'
    await app.dataSource.query('UPDATE post SET body = ? WHERE id = ?', [twoLines, Number(id)])
    const again = nextEvent<RecordSavedEvent>(carol.socket, 'record:saved')
    const crlf = { title: 'Retitled', body: twoLines.replace('\n', '\r\n'), [VERSION_PARAM]: await loadVersion(cookies.alice, id) }
    expect((await api(cookies.alice, id, crlf)).notice?.type).toBe('success')
    expect((await again).fields).toEqual(['title'])
  })

  test('a refused save announces nothing', async () => {
    const id = '2'
    const alice = await join(cookies.alice, id, 'edit')
    const carol = await join(cookies.carol, id, 'show')
    const carolHeard = recordEvents<RecordSavedEvent>(carol.socket, 'record:saved')
    const refused = await api(cookies.bob, id, { title: 'Refused', [VERSION_PARAM]: await loadVersion(cookies.bob, id) })
    expect(refused.notice?.type).toBe('error')
    // A save that does go through afterwards is the first thing carol hears.
    const next = nextEvent<RecordSavedEvent>(carol.socket, 'record:saved')
    expect((await api(cookies.alice, id, { title: 'Accepted', [VERSION_PARAM]: await loadVersion(cookies.alice, id) })).notice?.type).toBe('success')
    expect((await next).by.name).toBe('Alice Martin')
    expect(carolHeard).toHaveLength(1)
    unwrap(await request(alice.socket, 'record:leave', { resourceId: 'Post', recordId: id }))
  })

  test('a save from an older version is refused, naming who changed it, and writes nothing', async () => {
    const id = '3'
    const aliceVersion = await loadVersion(cookies.alice, id)
    // Nobody holds the lock (alice's tab slept and lost it, or Redis was away): bob saves first.
    const bobVersion = await loadVersion(cookies.bob, id)
    expect((await api(cookies.bob, id, { title: 'Bob first', [VERSION_PARAM]: bobVersion })).notice?.type).toBe('success')
    const stale = await api(cookies.alice, id, { title: 'Alice from the past', [VERSION_PARAM]: aliceVersion })
    expect(stale.notice?.type).toBe('error')
    expect(stale.notice?.options?.defaultValue).toContain('Bob Chen changed this record after you opened it')
    expect((await app.postById(id))?.title).toBe('Bob first')
  })

  test('a change made outside the admin makes older versions stale too', async () => {
    const id = '1'
    const version = await loadVersion(cookies.alice, id)
    await app.dataSource.query('UPDATE post SET title = ? WHERE id = ?', ['Changed by a script', Number(id)])
    const stale = await api(cookies.alice, id, { title: 'Alice', [VERSION_PARAM]: version })
    expect(stale.notice?.message).toBe('staleSaveByUnknownText')
    expect(stale.notice?.options?.defaultValue).toContain('someone changed this record')
    expect((await app.postById(id))?.title).toBe('Changed by a script')
  })
})
