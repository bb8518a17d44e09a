/**
 * The collaboration server under test, in a child process of the bench (see lib/child.ts): the
 * fixture admin of the tests (test/fixture: AdminJS, login, TypeORM on sql.js), with extra posts
 * so that scenarios can spread clients over many records. `start` replaces the running app with a
 * fresh one (new database, session store and socket server), so one process serves every scenario.
 */
import { startFixtureApp, type FixtureApp } from '../test/fixture/app.js'
import type { CollaborationOptions } from '../src/index.js'
import { writeHeapSnapshot } from 'node:v8'
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { sampleHeap, sampleLoad, serveRequests } from './lib/child.js'
import { seedPosts } from './lib/seed.js'

export interface StartArgs {
  /** The store's Redis; a list: the nodes of a Redis Cluster (B14). */
  redisUrl?: string | string[]
  collaboration: Partial<CollaborationOptions>
  /** Posts to add to the fixture's three, so that there are enough records to spread clients over. */
  extraPosts: number
  /** Bundle the admin's components before listening, for scenarios that load pages in a browser. @default false */
  bundle?: boolean
}

export interface Started {
  url: string
  postIds: string[]
  /** Collaboration options the installed server refused as unknown (dropped, and said so). */
  droppedOptions: string[]
}

let app: FixtureApp | undefined

/** The socket server is private to the Collaboration object; the bench only reads counters from it. */
function engineClients(): number {
  const server = (app?.collaboration as unknown as { socketServer?: { io: { engine: { clientsCount: number } } } } | undefined)?.socketServer
  return server?.io.engine.clientsCount ?? 0
}

function rooms(): number {
  const server = (app?.collaboration as unknown as { socketServer?: { io: { of(name: string): { adapter: { rooms: Map<string, unknown> } } } } } | undefined)?.socketServer
  return server?.io.of('/').adapter.rooms.size ?? 0
}

async function start(args: StartArgs): Promise<Started> {
  if (app) await app.close()
  app = undefined
  const collaboration = { ...args.collaboration }
  const droppedOptions: string[] = []
  // Other options may not exist yet in the server being measured (e.g. chat limits): drop those, say so.
  for (;;) {
    try {
      app = await startFixtureApp({ port: 0, host: '127.0.0.1', bundle: args.bundle ? 'build' : 'none', quiet: true, redisUrl: args.redisUrl, collaboration })
      break
    } catch (error) {
      const unknown = /option `([^`]+)` is not known/.exec(error instanceof Error ? error.message : '')?.[1]
      if (!unknown || !(unknown in collaboration)) throw error
      delete (collaboration as Record<string, unknown>)[unknown]
      droppedOptions.push(unknown)
    }
  }
  await seedPosts(app, args.extraPosts)
  const postIds = (await app.postIds()).map(String)
  return { url: app.url, postIds, droppedOptions }
}

/** The CPU profiler of this process while `profileStart` .. `profileStop` (bench/tools/claim-profile.ts). */
let profiler: Session | undefined

serveRequests({
  start: (args: StartArgs) => start(args),
  /** Diagnostics: starts V8's CPU profiler here (only what runs from now on is in the profile). */
  profileStart: async (args: { intervalUs?: number }) => {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.setSamplingInterval', { interval: args.intervalUs ?? 100 })
    await profiler.post('Profiler.start')
    return null
  },
  /** Diagnostics: stops the profiler and writes the profile (.cpuprofile, as `--cpu-prof` would) to `path`. */
  profileStop: async (args: { path: string }) => {
    if (!profiler) throw new Error('profileStart first')
    const { profile } = await profiler.post('Profiler.stop')
    profiler.disconnect()
    profiler = undefined
    writeFileSync(args.path, JSON.stringify(profile))
    return args.path
  },
  heap: async () => sampleHeap(engineClients()),
  /** Diagnostics: a V8 heap snapshot at `path`, after a forced collection. */
  snapshot: async (args: { path: string }) => {
    await sampleHeap(0)
    return writeHeapSnapshot(args.path)
  },
  stats: async () => ({ clients: engineClients(), rooms: rooms() }),
  load: async (args: { reset?: boolean }) => sampleLoad(args.reset ?? false),
  stop: async () => {
    await app?.close()
    app = undefined
    return null
  },
  exit: async () => {
    await app?.close().catch(() => undefined)
    setImmediate(() => process.exit(0))
    return null
  },
})
