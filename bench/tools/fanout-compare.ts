/**
 * Diagnostic: the same emit to N sockets in a room on our socket server (the fixture admin) and on
 * a bare Socket.IO server, both in this process with their clients: the broadcast call's own time
 * (every socket's frame written) and until the last client has it.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { io as connect } from 'socket.io-client'
import { startRedisServer } from '../../test/support/redis-server.mjs'
import { startFixtureApp } from '../../test/fixture/app.js'
import { connectCollab, joinPost, loginAll } from '../lib/clients.js'
import { summarize } from '../lib/stats.js'
import { recordRoom } from '../../src/store/keys.js'

const VIEWERS = 100
const N = 1000
const redis = await startRedisServer()
const app = await startFixtureApp({
  port: 0,
  host: '127.0.0.1',
  bundle: 'none',
  quiet: true,
  redisUrl: redis.url,
  collaboration: { eventsPerSecond: 1_000_000, maxSocketsPerUser: 1_000_000, redisKeyPrefix: 'fanout:' },
})
const bareHttp = http.createServer()
const bare = new Server(bareHttp, { transports: ['websocket'], serveClient: false })
bare.on('connection', (socket) => socket.join('fan'))
await new Promise<void>((resolve) => bareHttp.listen(0, '127.0.0.1', resolve))
try {
  const cookies = await loginAll(app.url)
  const recordId = String((await app.postIds())[0])
  const ours: Awaited<ReturnType<typeof connectCollab>>[] = []
  for (let i = 0; i < VIEWERS; i++) {
    const viewer = await connectCollab(app.url, i % 2 ? cookies.bob : cookies.carol)
    await joinPost(viewer, recordId, 'show')
    ours.push(viewer)
  }
  const theirs: ReturnType<typeof connect>[] = []
  for (let i = 0; i < VIEWERS; i++) {
    const viewer = connect(`http://127.0.0.1:${(bareHttp.address() as AddressInfo).port}`, { transports: ['websocket'] })
    await new Promise<void>((resolve) => viewer.once('connect', () => resolve()))
    theirs.push(viewer)
  }
  await new Promise((resolve) => setTimeout(resolve, 200))
  const ourIo = (app.collaboration as unknown as { socketServer: { io: Server } }).socketServer.io
  const payload = { resourceId: 'Post', recordId, id: 'x', from: { id: 'alice', name: 'Alice Martin' }, to: null, text: 'hello there', atMs: Date.now() }
  const run = async (name: string, emit: (text: string) => void, viewers: Array<ReturnType<typeof connect>>) => {
    const call: number[] = []
    const last: number[] = []
    for (let n = 0; n < N; n++) {
      const text = `${name} ${n}`
      let left = viewers.length
      const all = new Promise<void>((resolve) => {
        for (const viewer of viewers) {
          const on = (m: { text: string }) => {
            if (m.text !== text) return
            viewer.off('chat:message', on)
            if (--left === 0) resolve()
          }
          viewer.on('chat:message', on)
        }
      })
      const t0 = performance.now()
      emit(text)
      const t1 = performance.now()
      await all
      const t2 = performance.now()
      if (n >= 100) {
        call.push(t1 - t0)
        last.push(t2 - t0)
      }
    }
    console.log(`${name.padEnd(6)} broadcast call p50 ${summarize(call).p50.toFixed(3)} ms, last client p50 ${summarize(last).p50.toFixed(3)} ms`)
  }
  for (let round = 0; round < 2; round++) {
    await run('ours', (text) => ourIo.to(recordRoom('Post', recordId)).emit('chat:message', { ...payload, text }), ours)
    await run('local', (text) => ourIo.local.to(recordRoom('Post', recordId)).emit('chat:message', { ...payload, text }), ours)
    await run('bare', (text) => bare.to('fan').emit('chat:message', { ...payload, text }), theirs)
  }
  for (const s of [...ours, ...theirs]) s.disconnect()
} finally {
  await app.close()
  bare.close()
  await redis.stop()
}
