/**
 * Chat over real sockets: the record's conversation reaches everyone on the record, a one-to-one
 * message exactly its two people; history survives for late joiners, trimmed and expiring; every
 * refusal has a code and leaves nothing stored or sent; only sockets joined to the record take part.
 * Each test starts its own app (fresh store, its own options), so histories never leak between tests.
 */
import { ErrorCode, type Ack, type ChatMessage, type RecordRef } from '../src/protocol.js'
import type { CollaborationOptions } from '../src/index.js'
import { loginAll, startTestApp, storeOptions, type TestApp, type TestAppExtras } from './support/app.js'
import { nextEvent, recordEvents, request, unwrap, type TestSocket } from './support/clients.js'
import { RecordTabs, type JoinedTab } from './support/record-tabs.js'

const post = { resourceId: 'Post', recordId: '1' }
const otherPost = { resourceId: 'Post', recordId: '2' }

const send = (socket: TestSocket, text: string, to: string | null = null, ref: RecordRef = post) => request<ChatMessage>(socket, 'chat:send', { ...ref, to, text })
const history = (socket: TestSocket, withUser: string | null = null, ref: RecordRef = post) => request<ChatMessage[]>(socket, 'chat:history', { ...ref, with: withUser })
const texts = (messages: ChatMessage[]) => messages.map((message) => message.text)
const failure = (code: ErrorCode) => ({ ok: false, error: { code } })

/**
 * Resolves once everything the server sent this tab before now has arrived: one round trip on the
 * same connection, whose reply comes after anything sent to it earlier. So an event the tab did not
 * get by then was never sent to it (no sleeping and hoping).
 */
async function settled(tab: JoinedTab, ref: RecordRef = post): Promise<void> {
  await request(tab.socket, 'chat:history', { ...ref, with: null })
}

/** Polls `probe` until it returns true; fails after `timeoutMs`. Spaced to stay within eventsPerSecond. */
async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 60))
  }
}

describe.each(['memory', 'redis'] as const)('with the %s store', (store) => {
  let app: TestApp | undefined
  let cookies: Awaited<ReturnType<typeof loginAll>>
  const tabs = new RecordTabs(() => app!.url)
  const join = (cookie: string, ref: RecordRef = post, intent: 'edit' | 'show' = 'show') => tabs.join(cookie, ref, intent)

  async function start(options: Partial<CollaborationOptions> = {}, extra: TestAppExtras = {}): Promise<void> {
    app = await startTestApp({ ...storeOptions(store), ...options }, extra)
    cookies = await loginAll(app)
  }

  afterEach(async () => {
    await tabs.closeAll()
    await app?.close()
    app = undefined
  })

  test("a message to everyone reaches everyone on the record, the sender's tabs too, and nobody elsewhere", async () => {
    await start()
    const alice = await join(cookies.alice, post, 'edit')
    const aliceOtherTab = await join(cookies.alice)
    const bob = await join(cookies.bob)
    // A reader may view the record, so may chat on it.
    const dave = await join(cookies.dave)
    const carolElsewhere = await join(cookies.carol, otherPost)
    const carolHeard = recordEvents<ChatMessage>(carolElsewhere.socket, 'chat:message')
    const heard = [alice, aliceOtherTab, bob, dave].map((tab) => nextEvent<ChatMessage>(tab.socket, 'chat:message'))

    const before = Date.now()
    const sent = unwrap(await send(alice.socket, 'Hello everyone'))
    expect(sent).toEqual({
      ...post,
      id: expect.any(String),
      from: { id: 'alice', name: 'Alice Martin', avatarUrl: expect.stringMatching(/^data:image\/svg\+xml;base64,/) },
      to: null,
      text: 'Hello everyone',
      atMs: expect.any(Number),
    })
    expect(sent.atMs).toBeGreaterThanOrEqual(before)
    for (const message of await Promise.all(heard)) expect(message).toEqual(sent)

    const reply = unwrap(await send(dave.socket, 'Hi Alice'))
    expect(reply.id).not.toBe(sent.id)
    await settled(carolElsewhere, otherPost)
    expect(carolHeard).toEqual([])
    expect(unwrap(await history(carolElsewhere.socket, null, otherPost))).toEqual([])
  })

  test('a one-to-one message reaches exactly its two people; a third on the record neither gets nor reads it', async () => {
    await start()
    const alice = await join(cookies.alice, post, 'edit')
    const aliceOtherTab = await join(cookies.alice)
    const bob = await join(cookies.bob)
    const carol = await join(cookies.carol)
    const carolHeard = recordEvents<ChatMessage>(carol.socket, 'chat:message')
    const heard = [alice, aliceOtherTab, bob].map((tab) => nextEvent<ChatMessage>(tab.socket, 'chat:message'))

    const secret = unwrap(await send(alice.socket, 'Just between us', 'bob'))
    expect(secret).toMatchObject({ ...post, from: { id: 'alice' }, to: 'bob', text: 'Just between us' })
    for (const message of await Promise.all(heard)) expect(message).toEqual(secret)
    const aliceHearsBack = nextEvent<ChatMessage>(alice.socket, 'chat:message')
    const answer = unwrap(await send(bob.socket, 'Sure', 'alice'))
    expect(await aliceHearsBack).toEqual(answer)

    // Both people read the same conversation, whoever names it.
    expect(unwrap(await history(alice.socket, 'bob'))).toEqual([secret, answer])
    expect(unwrap(await history(bob.socket, 'alice'))).toEqual([secret, answer])
    // Carol was sent nothing, and her own conversations with either of them hold nothing of it.
    await settled(carol)
    expect(carolHeard).toEqual([])
    expect(unwrap(await history(carol.socket, 'alice'))).toEqual([])
    expect(unwrap(await history(carol.socket, 'bob'))).toEqual([])
    expect(unwrap(await history(carol.socket, null))).toEqual([])
  })

  test('a one-to-one message needs a recipient on the record now, other than oneself', async () => {
    await start()
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    const carolElsewhere = await join(cookies.carol, otherPost)
    const heard = [alice, bob, carolElsewhere].map((tab) => recordEvents<ChatMessage>(tab.socket, 'chat:message'))

    for (const to of ['carol', 'alice', 'nobody']) expect(await send(alice.socket, 'Are you there?', to)).toMatchObject(failure(ErrorCode.NotFound))
    // Once bob has left, he cannot be written to on this record either.
    unwrap(await request(bob.socket, 'record:leave', post))
    expect(await send(alice.socket, 'Still there?', 'bob')).toMatchObject(failure(ErrorCode.NotFound))

    await Promise.all([settled(alice), settled(carolElsewhere, otherPost)])
    expect(heard.map((events) => events.length)).toEqual([0, 0, 0])
    for (const other of ['carol', 'alice', 'nobody', 'bob']) expect(unwrap(await history(alice.socket, other))).toEqual([])
  })

  test("a late joiner reads the record's recent conversation, oldest first, after its writers have gone", async () => {
    await start()
    const alice = await join(cookies.alice, post, 'edit')
    const bob = await join(cookies.bob)
    const sent = [unwrap(await send(alice.socket, 'first')), unwrap(await send(bob.socket, 'second')), unwrap(await send(alice.socket, 'third'))]
    await tabs.closeAll()
    const carol = await join(cookies.carol)
    expect(unwrap(await history(carol.socket))).toEqual(sent)
  })

  test('history keeps only the newest chatHistoryLimit messages of each conversation', async () => {
    await start({ chatHistoryLimit: 5 })
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    for (let i = 1; i <= 7; i++) {
      unwrap(await send(alice.socket, `to everyone ${i}`))
      unwrap(await send(bob.socket, `to alice ${i}`, 'alice'))
    }
    expect(texts(unwrap(await history(bob.socket)))).toEqual([3, 4, 5, 6, 7].map((i) => `to everyone ${i}`))
    expect(texts(unwrap(await history(alice.socket, 'bob')))).toEqual([3, 4, 5, 6, 7].map((i) => `to alice ${i}`))
  })

  test('history ends chatHistoryTtlMs after the last message', async () => {
    await start({ chatHistoryTtlMs: 300 })
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    unwrap(await send(alice.socket, 'soon gone'))
    unwrap(await send(alice.socket, 'gone too', 'bob'))
    expect(texts(unwrap(await history(bob.socket)))).toEqual(['soon gone'])
    await eventually('both conversations to end', async () => {
      const [everyone, direct] = [unwrap(await history(bob.socket)), unwrap(await history(bob.socket, 'alice'))]
      return everyone.length === 0 && direct.length === 0
    })
  })

  test('empty, too long and too fast messages are refused with their code; nothing is stored or sent', async () => {
    await start({ chatMaxLength: 10, chatMessagesPerMinute: 3 })
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    const aliceOnOtherPost = await join(cookies.alice, otherPost)
    const bobHeard = recordEvents<ChatMessage>(bob.socket, 'chat:message')

    for (const blank of ['', ' ', '\n\t  \r\n', '\u00a0\u2003']) expect(await send(alice.socket, blank)).toMatchObject(failure(ErrorCode.MessageEmpty))
    expect(await send(alice.socket, ' ', 'bob')).toMatchObject(failure(ErrorCode.MessageEmpty))
    expect(await send(alice.socket, 'x'.repeat(11))).toMatchObject(failure(ErrorCode.MessageTooLong))
    expect(await send(alice.socket, '🔒'.repeat(11), 'bob')).toMatchObject(failure(ErrorCode.MessageTooLong))
    // Characters, not UTF-16 units: ten emoji are ten characters. Spaces around text count and stay.
    const accepted = [unwrap(await send(alice.socket, '🔒'.repeat(10))), unwrap(await send(alice.socket, '  padded  ')), unwrap(await send(alice.socket, 'private', 'bob'))]
    expect(texts(accepted)).toEqual(['🔒'.repeat(10), '  padded  ', 'private'])

    // The refusals above did not count: these are the fourth messages of the minute, on any record.
    for (const [socket, to, ref] of [
      [alice.socket, null, post],
      [alice.socket, 'bob', post],
      [aliceOnOtherPost.socket, null, otherPost],
    ] as const) {
      const tooFast: Ack<ChatMessage> = await send(socket, 'one more', to, ref)
      expect(tooFast).toMatchObject(failure(ErrorCode.RateLimited))
      const retryInMs = tooFast.ok ? 0 : tooFast.error.retryInMs!
      expect(retryInMs).toBeGreaterThan(0)
      expect(retryInMs).toBeLessThanOrEqual(60_000)
    }
    // Bob's allowance is his own.
    const fromBob = unwrap(await send(bob.socket, 'hello'))

    await settled(bob)
    expect(bobHeard).toEqual([accepted[0], accepted[1], accepted[2], fromBob])
    expect(unwrap(await history(bob.socket))).toEqual([accepted[0], accepted[1], fromBob])
    expect(unwrap(await history(bob.socket, 'alice'))).toEqual([accepted[2]])
    expect(unwrap(await history(aliceOnOtherPost.socket, null, otherPost))).toEqual([])
  })

  test('markup in a message is stored and sent exactly as typed', async () => {
    await start()
    const alice = await join(cookies.alice)
    const bob = await join(cookies.bob)
    const text = '<img src=x onerror="alert(1)"> & <b>bold</b> &lt;'
    const heard = nextEvent<ChatMessage>(bob.socket, 'chat:message')
    expect(unwrap(await send(alice.socket, text)).text).toBe(text)
    expect((await heard).text).toBe(text)
    expect(texts(unwrap(await history(bob.socket)))).toEqual([text])
  })

  test('only sockets joined to the record read or write its conversations', async () => {
    await start()
    const alice = await join(cookies.alice)
    unwrap(await send(alice.socket, 'for those on the record'))
    const stranger = await tabs.open(cookies.carol)
    expect(await send(stranger, 'let me in')).toMatchObject(failure(ErrorCode.NotJoined))
    expect(await history(stranger)).toMatchObject(failure(ErrorCode.NotJoined))

    // Joining is where AdminJS decides: a record that does not exist cannot be joined, nor chatted on.
    const missing = { resourceId: 'Post', recordId: '999999' }
    const joinMissing = await request(stranger, 'record:join', { ...missing, tabToken: crypto.randomUUID(), intent: 'show' })
    expect(joinMissing).toMatchObject(failure(ErrorCode.NotFound))
    expect(await send(stranger, 'anyone?', null, missing)).toMatchObject(failure(ErrorCode.NotJoined))
    // Nor does a refused join (a reader on the edit page) let the socket in.
    const daveTab = await tabs.open(cookies.dave)
    const editRefused = await request(daveTab, 'record:join', { ...post, tabToken: crypto.randomUUID(), intent: 'edit' })
    expect(editRefused).toMatchObject(failure(ErrorCode.Forbidden))
    expect(await history(daveTab)).toMatchObject(failure(ErrorCode.NotJoined))

    // Being on another record does not count.
    const carolElsewhere = await join(cookies.carol, otherPost)
    expect(await send(carolElsewhere.socket, 'hi', null, post)).toMatchObject(failure(ErrorCode.NotJoined))

    // Leaving ends it for that tab: no more messages, not even her own direct ones, no more history.
    const bob = await join(cookies.bob)
    const aliceStays = await join(cookies.alice)
    const aliceHeard = recordEvents<ChatMessage>(alice.socket, 'chat:message')
    unwrap(await request(alice.socket, 'record:leave', post))
    const stayingTabHeard = nextEvent<ChatMessage>(aliceStays.socket, 'chat:message', (message) => message.to === 'alice')
    unwrap(await send(bob.socket, 'alice has gone'))
    const toAlice = unwrap(await send(bob.socket, 'to your other tab', 'alice'))
    expect(await stayingTabHeard).toEqual(toAlice)
    expect(await history(alice.socket)).toMatchObject(failure(ErrorCode.NotJoined))
    expect(aliceHeard).toEqual([])
    expect(texts(unwrap(await history(bob.socket)))).toEqual(['for those on the record', 'alice has gone'])
  })

  test('malformed requests are refused as invalid', async () => {
    await start()
    const alice = await join(cookies.alice)
    const bad: unknown[] = [
      { ...post, text: 'no recipient field' },
      { ...post, to: null, text: 42 },
      { ...post, to: '', text: 'empty recipient' },
      { ...post, to: null, text: 'extra', html: '<b>' },
    ]
    for (const payload of bad) expect(await request(alice.socket, 'chat:send', payload)).toMatchObject(failure(ErrorCode.InvalidPayload))
    expect(await request(alice.socket, 'chat:history', { ...post })).toMatchObject(failure(ErrorCode.InvalidPayload))
    expect(unwrap(await history(alice.socket))).toEqual([])
  })

  test('a resource whose feature has enableChat: false refuses its chat as forbidden', async () => {
    await start({}, { pageFeature: { enableChat: false } })
    const [pageId] = await app!.pageIds()
    const page = { resourceId: 'Page', recordId: pageId! }
    const alice = await join(cookies.alice, page)
    expect(alice.reply.presence).toHaveLength(1)
    expect(await send(alice.socket, 'hello', null, page)).toMatchObject(failure(ErrorCode.Forbidden))
    expect(await history(alice.socket, null, page)).toMatchObject(failure(ErrorCode.Forbidden))
    // Other resources keep theirs.
    const onPost = await join(cookies.alice)
    unwrap(await send(onPost.socket, 'hello'))
  })

  test('with enableChat: false the server knows no chat events at all', async () => {
    await start({ enableChat: false })
    const alice = await join(cookies.alice)
    expect(await send(alice.socket, 'hello')).toMatchObject(failure(ErrorCode.UnknownEvent))
    expect(await history(alice.socket)).toMatchObject(failure(ErrorCode.UnknownEvent))
  })
})
