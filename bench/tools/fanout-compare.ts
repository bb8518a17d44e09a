/**
 * Diagnostic: the same emit to N sockets in a room on our socket server (the fixture admin) and on
 * a bare Socket.IO server, both in this process with their clients: the broadcast call's own time
 * (every socket's frame written) and until the last client has it.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { io as connect } from 'socket.io-client'
import { connectCollab, Fanout, joinPost, loginAll } from '../lib/clients.js'
import { summarize } from '../lib/stats.js'
import { recordRoom } from '../../src/store/keys.js'
import { startInProcess } from './in-process.js'

const VIEWERS = 100
const N = 1000
const { app, close } = await startInProcess({ redisKeyPrefix: 'fanout:' })
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
    const fan = new Fanout(viewers, 'chat:message')
    const call: number[] = []
    const last: number[] = []
    for (let n = 0; n < N; n++) {
      const text = `${name} ${n}`
      let callMs = 0
      const { lastMs } = await fan.measure(
        () => {
          const t0 = performance.now()
          emit(text)
          callMs = performance.now() - t0
        },
        (m) => (m as { text: string }).text === text,
        5000,
      )
      if (n >= 100) {
        call.push(callMs)
        last.push(lastMs)
      }
    }
    fan.dispose()
    console.log(`${name.padEnd(6)} broadcast call p50 ${summarize(call).p50.toFixed(3)} ms, last client p50 ${summarize(last).p50.toFixed(3)} ms`)
  }
  for (let round = 0; round < 2; round++) {
    await run('ours', (text) => ourIo.to(recordRoom('Post', recordId)).emit('chat:message', { ...payload, text }), ours)
    await run('local', (text) => ourIo.local.to(recordRoom('Post', recordId)).emit('chat:message', { ...payload, text }), ours)
    await run('bare', (text) => bare.to('fan').emit('chat:message', { ...payload, text }), theirs)
  }
  for (const s of [...ours, ...theirs]) s.disconnect()
} finally {
  bare.close()
  await close()
}
