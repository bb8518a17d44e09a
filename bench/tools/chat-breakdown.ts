/**
 * `npx tsx bench/tools/chat-breakdown.ts [--viewers=100]`: where a chat message's time goes, in one
 * process (the fixture admin in-process, its clients here too, one clock): from `chat:send` to the
 * store's append (its start and end), the broadcast (the adapter's broadcast call, start and end),
 * the sender's ack, and the last viewer's `chat:message`.
 */
import type { ChatMessage } from '../../src/protocol.js'
import { ask, connectCollab, Fanout, joinPost, loginAll, ref } from '../lib/clients.js'
import { summarize } from '../lib/stats.js'
import { startInProcess } from './in-process.js'

const args = process.argv.slice(2)
const VIEWERS = Number(args.find((arg) => arg.startsWith('--viewers='))?.split('=')[1] ?? '100')
const N = 1500
const { app, close } = await startInProcess({ redisKeyPrefix: 'chat-breakdown:' })
try {
  const cookies = await loginAll(app.url)
  const recordId = String((await app.postIds())[0])
  const sender = await connectCollab(app.url, cookies.alice)
  await joinPost(sender, recordId, 'edit')
  const viewers: Awaited<ReturnType<typeof connectCollab>>[] = []
  for (let i = 0; i < VIEWERS; i++) {
    const viewer = await connectCollab(app.url, i % 2 ? cookies.bob : cookies.carol)
    await joinPost(viewer, recordId, 'show')
    viewers.push(viewer)
  }
  const fan = new Fanout(viewers, 'chat:message')
  const marks: Record<string, number> = {}
  const internals = app.collaboration as unknown as {
    store: { chat: { append: (...a: unknown[]) => Promise<unknown> } }
    socketServer: { io: { of(name: string): { adapter: { broadcast: (...a: unknown[]) => void } } } }
  }
  const chat = internals.store.chat
  const append = chat.append.bind(chat)
  chat.append = async (...a: unknown[]) => {
    marks.appendStart = performance.now()
    try {
      return await append(...a)
    } finally {
      marks.appendEnd = performance.now()
    }
  }
  const adapter = internals.socketServer.io.of('/').adapter
  const broadcast = adapter.broadcast.bind(adapter)
  adapter.broadcast = (...a: unknown[]) => {
    marks.broadcastStart = performance.now()
    broadcast(...a)
    marks.broadcastEnd = performance.now()
  }
  const steps: Record<string, number[]> = { toAppend: [], append: [], toBroadcast: [], broadcast: [], toLastViewer: [], total: [], ack: [] }
  for (let n = 0; n < N; n++) {
    const text = `m${n}`
    let acked = 0
    const t0 = performance.now()
    const { lastMs } = await fan.measure(
      async () => {
        const { reply } = await ask(sender, 'chat:send', { ...ref(recordId), to: null, text })
        acked = performance.now()
        if (!reply.ok) throw new Error(JSON.stringify(reply))
      },
      (m) => (m as ChatMessage).text === text,
      5000,
    )
    if (n < 200) continue
    steps.toAppend!.push(marks.appendStart! - t0)
    steps.append!.push(marks.appendEnd! - marks.appendStart!)
    steps.toBroadcast!.push(marks.broadcastStart! - marks.appendEnd!)
    steps.broadcast!.push(marks.broadcastEnd! - marks.broadcastStart!)
    steps.toLastViewer!.push(t0 + lastMs - marks.broadcastEnd!)
    steps.ack!.push(acked - t0)
    steps.total!.push(lastMs)
  }
  for (const [name, samples] of Object.entries(steps)) console.log(`step ${name.padEnd(14)} p50 ${summarize(samples).p50.toFixed(3)} ms`)
  fan.dispose()
  sender.disconnect()
  for (const viewer of viewers) viewer.disconnect()
} finally {
  await close()
}
