/**
 * `npx tsx bench/tools/claim-breakdown.ts`: where a claim's wall time goes, in one process (the
 * fixture admin in-process, its client here too): the socket round trip of `lock:claim` against
 * its parts called directly, back to back: the store's claim (one EVALSHA), the session store's
 * read, both at once, and a bare `redis.ping()` on the store's own connection.
 */
import { startInProcess } from './in-process.js'
import { ask, connectCollab, joinPost, loginAll, ref } from '../lib/clients.js'
import { summarize } from '../lib/stats.js'
import { recordKey } from '../../src/store/keys.js'

const N = 3000
const { app, close } = await startInProcess({ redisKeyPrefix: 'breakdown:' })
try {
  const cookies = await loginAll(app.url)
  const socket = await connectCollab(app.url, cookies.alice)
  const recordId = String((await app.postIds())[0])
  const joined = await joinPost(socket, recordId, 'edit')
  const store = (app.collaboration as unknown as { store: { locks: { claim: (...a: unknown[]) => Promise<unknown> } } }).store
  const claimant = { token: joined.lease!.tabId ? (joined as unknown as { lease: { tabId: string } }).lease.tabId : '', user: joined.user }
  const sid = decodeURIComponent(cookies.alice.split('=')[1]!.split(';')[0]!).slice(2).split('.')[0]!
  const sessionGet = () => new Promise<unknown>((resolve, reject) => app.sessionStore.get(sid, (error, s) => (error ? reject(error) : resolve(s))))
  console.log(`session JSON ${JSON.stringify(await sessionGet()).length} bytes`)
  const time = async (what: string, op: () => Promise<unknown>) => {
    for (let i = 0; i < 300; i++) await op()
    const samples: number[] = []
    for (let i = 0; i < N; i++) {
      const t = performance.now()
      await op()
      samples.push(performance.now() - t)
    }
    const s = summarize(samples)
    console.log(`${what.padEnd(40)} p50 ${s.p50.toFixed(3)} ms  p90 ${s.p90?.toFixed?.(3) ?? ''}`)
  }
  const key = recordKey('Post', recordId)
  const badToken = { token: 'someone-else', user: { id: 'zed', name: 'Zed' } }
  for (let round = 0; round < 2; round++) {
    await time('socket lock:claim (renewal)', async () => {
      const { reply } = await ask(socket, 'lock:claim', ref(recordId))
      if (!reply.ok) throw new Error(JSON.stringify(reply))
    })
    await time('socket unknown event (router only)', async () => {
      const { reply } = await ask(socket, 'bench:no-handler', ref(recordId))
      if (reply.ok) throw new Error('answered')
    })
    await time('store.locks.claim (denied, other token)', () => store.locks.claim(key, badToken, 30000))
    await time('session store get', sessionGet)
    await time('both at once', () => Promise.all([store.locks.claim(key, badToken, 30000), sessionGet()]))
    void claimant
  }
  // The claim's steps on one clock: send, store claim start/end, session read start/end, ack.
  const marks: Record<string, number> = {}
  const locks = store.locks as { claim: (...a: unknown[]) => Promise<unknown> }
  const claimOf = locks.claim.bind(locks)
  locks.claim = async (...a: unknown[]) => {
    marks.claimStart = performance.now()
    try {
      return await claimOf(...a)
    } finally {
      marks.claimEnd = performance.now()
    }
  }
  const getOf = app.sessionStore.get.bind(app.sessionStore)
  app.sessionStore.get = (id, cb) => {
    marks.sessionStart = performance.now()
    return getOf(id, (error, session) => {
      marks.sessionEnd = performance.now()
      cb(error, session)
    })
  }
  const steps: Record<string, number[]> = { toClaimStart: [], claim: [], toSessionStart: [], session: [], afterBoth: [], total: [] }
  for (let i = 0; i < N; i++) {
    const t0 = performance.now()
    const { reply } = await ask(socket, 'lock:claim', ref(recordId))
    const t5 = performance.now()
    if (!reply.ok) throw new Error(JSON.stringify(reply))
    if (i < 300) continue
    steps.toClaimStart!.push(marks.claimStart! - t0)
    steps.claim!.push(marks.claimEnd! - marks.claimStart!)
    steps.toSessionStart!.push(marks.sessionStart! - t0)
    steps.session!.push(marks.sessionEnd! - marks.sessionStart!)
    steps.afterBoth!.push(t5 - Math.max(marks.claimEnd!, marks.sessionEnd!))
    steps.total!.push(t5 - t0)
  }
  for (const [name, samples] of Object.entries(steps)) console.log(`step ${name.padEnd(16)} p50 ${summarize(samples).p50.toFixed(3)} ms`)
  socket.disconnect()
} finally {
  await close()
}
