/**
 * Check and write are one step per record across processes: saves (and deletes) built from the
 * same version and sent at once, by different users to two app processes on one Redis and one
 * database, are accepted exactly once; every other one is refused as stale, or as busy. Never two.
 */
import { VERSION_PARAM } from '../src/protocol.js'
import { adminApi, type ApiReply } from './support/admin-api.js'
import { loginAll, storeOptions } from './support/app.js'
import { startSharedApps, type SharedApps } from './support/shared-apps.js'

const ROUNDS = 25
const WRITERS = 6

let shared: SharedApps
let cookies: Awaited<ReturnType<typeof loginAll>>

/**
 * sql.js answers synchronously, which leaves almost no gap between a check and a write for another
 * request to slip into; a networked database answers after a few ms. Reads take a random few ms
 * here, as there: without the write section (check, then write unconditionally) this test fails.
 */
function slowDatabaseReads(shared: SharedApps): void {
  const Post = shared.database.entities.Post
  const findOneBy = Post.findOneBy.bind(Post)
  Post.findOneBy = (async (where: Parameters<typeof findOneBy>[0]) => {
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 8))
    return findOneBy(where)
  }) as typeof Post.findOneBy
}

beforeAll(async () => {
  shared = await startSharedApps(2, storeOptions('redis'))
  slowDatabaseReads(shared)
  cookies = await loginAll(shared.apps[0]!)
})

afterAll(async () => {
  await shared?.close()
})

const editors = () => [cookies.alice, cookies.bob, cookies.carol]

test(`${WRITERS} concurrent saves of one version across two processes, ${ROUNDS} rounds: exactly one accepted each round`, async () => {
  const apis = shared.apps.map((app) => adminApi(app.url))
  const outcomes: Record<string, number> = {}
  for (let round = 0; round < ROUNDS; round++) {
    const version = await apis[0]!.version(cookies.alice, '1')
    const titles = Array.from({ length: WRITERS }, (_, i) => `round ${round} writer ${i}`)
    const replies: ApiReply[] = await Promise.all(titles.map((title, i) => apis[i % 2]!.record(editors()[i % 3]!, '1', 'edit', { title, [VERSION_PARAM]: version })))
    const accepted = replies.map((reply, i) => (reply.body.notice?.type === 'success' ? i : -1)).filter((i) => i >= 0)
    for (const reply of replies) {
      const kind =
        reply.body.notice?.type === 'success' ? 'accepted' : /changed this record/.test(reply.body.notice?.message ?? '') ? 'stale' : (reply.body.notice?.message ?? 'no notice')
      outcomes[kind] = (outcomes[kind] ?? 0) + 1
    }
    expect(accepted).toHaveLength(1)
    // The database holds the accepted save, not a later overwrite.
    expect((await shared.queries.postById(1))?.title).toBe(titles[accepted[0]!])
  }
  console.log(`[atomic] ${ROUNDS} rounds of ${WRITERS} saves: ${JSON.stringify(outcomes)}`)
})

test('a delete and saves of one version at once: exactly one of them goes through', async () => {
  const apis = shared.apps.map((app) => adminApi(app.url))
  for (let round = 0; round < 10; round++) {
    const created = await apis[0]!.resource(cookies.alice, 'new', { title: `victim ${round}`, body: '', status: 'draft' })
    const id = String(created.body.record?.params.id)
    const version = await apis[1]!.version(cookies.bob, id)
    const replies = await Promise.all([
      apis[0]!.record(cookies.alice, id, 'edit', { title: 'saved', [VERSION_PARAM]: version }),
      apis[1]!.record(cookies.bob, id, 'delete', { [VERSION_PARAM]: version }),
      apis[1]!.record(cookies.carol, id, 'edit', { title: 'saved too', [VERSION_PARAM]: version }),
    ])
    const accepted = replies.filter((reply) => reply.body.notice?.type === 'success')
    expect(accepted).toHaveLength(1)
    const stored = await shared.queries.postById(id)
    if (replies[1]!.body.notice?.type === 'success') expect(stored).toBeNull()
    else expect(stored?.title).toMatch(/^saved/)
  }
})
