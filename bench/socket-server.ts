/**
 * A socket-tier process of the bench (B13, issue 15): `collaboration.listen` on a port of its own,
 * as example/sockets.ts runs one. It needs an AdminJS with the fixture's resources for the
 * permission checks and the record lookups of joins, so it starts the fixture admin in split mode
 * (`socketUrl` + `tokenSecret`: that admin serves pages and tokens, no sockets) on its own copy of
 * the database (seeded alike, so the post ids are the same in every process), and a second
 * Collaboration that listens. Both share the bench's Redis under one key prefix, and the login
 * sessions (the fixture's connect-redis store on that Redis), with every other process of the run.
 */
import { Collaboration, type CollaborationOptions, type Listening } from '../src/index.js'
import { startFixtureApp, type FixtureApp } from '../test/fixture/app.js'
import { sampleHeap, sampleLoad, serveRequests } from './lib/child.js'
import { seedPosts } from './lib/seed.js'

export interface TierStartArgs {
  redisUrl: string
  /** Options of both Collaborations (redisKeyPrefix among them: the same in every process). */
  collaboration: Partial<CollaborationOptions>
  tokenSecret: string
  extraPosts: number
}

export interface TierStarted {
  /** The socket server (what the admin's socketUrl would name). */
  url: string
  /** This process's admin (login, tokens); it serves no sockets. */
  adminUrl: string
  postIds: string[]
  /** Date.now() just before listen: the heartbeat timers start then (B13 compares slow samples with it). */
  timersAtMs: number
}

let app: FixtureApp | undefined
let tier: Collaboration | undefined
let listening: Listening | undefined

/** The socket server is private to the Collaboration object; the bench only reads counters from it. */
function engineClients(): number {
  const server = (tier as unknown as { socketServer?: { io: { engine: { clientsCount: number } } } } | undefined)?.socketServer
  return server?.io.engine.clientsCount ?? 0
}

async function stop(): Promise<void> {
  await listening?.close().catch(() => undefined)
  await app?.close().catch(() => undefined)
  listening = undefined
  tier = undefined
  app = undefined
}

serveRequests({
  start: async (args: TierStartArgs): Promise<TierStarted> => {
    await stop()
    app = await startFixtureApp({
      port: 0,
      host: '127.0.0.1',
      bundle: 'none',
      quiet: true,
      redisUrl: args.redisUrl,
      collaboration: { ...args.collaboration, socketUrl: 'http://sockets.bench.invalid', tokenSecret: args.tokenSecret },
    })
    await seedPosts(app, args.extraPosts)
    tier = new Collaboration({ redis: args.redisUrl, ...args.collaboration, tokenSecret: args.tokenSecret })
    const timersAtMs = Date.now()
    listening = await tier.listen({ port: 0, host: '127.0.0.1', admin: app.admin, session: { store: app.sessionStore } })
    await tier.ready()
    return { url: listening.url, adminUrl: app.url, postIds: (await app.postIds()).map(String), timersAtMs }
  },
  stats: async () => ({ clients: engineClients() }),
  heap: async () => sampleHeap(engineClients()),
  load: async (args: { reset?: boolean }) => sampleLoad(args.reset ?? false),
  stop: async () => {
    await stop()
    return null
  },
  exit: async () => {
    await stop()
    setImmediate(() => process.exit(0))
    return null
  },
})
