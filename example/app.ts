/**
 * The example admin as a function, so the CLI (server.ts) and the tests start the same thing.
 * Every call opens its own database, session store, collaboration and HTTP server, and `close()`
 * shuts down exactly those: several apps can run in one process (two "processes" sharing one Redis,
 * in tests) and be started again after closing.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import express from 'express'
import session from 'express-session'
import RedisSessionStore from 'connect-redis'
import { Redis } from 'ioredis'
import AdminJS, { type ActionContext, type AdminJSOptions, type ResourceOptions } from 'adminjs'
import AdminJSExpress from '@adminjs/express'
import { Database, Resource } from '@adminjs/typeorm'
import type { DataSource } from 'typeorm'
import { Collaboration, type CollaborationOptions, type FeatureOptions } from '../src/index.js'
import { bundleComponentsOnce } from './bundle.js'
import { createExampleDatabase, exampleQueries, type ExampleDatabase, type ExampleQueries } from './data.js'
import { authenticate } from './users.js'

// Adapters are registered on a process-wide list; once is enough for every app started here.
AdminJS.registerAdapter({ Database, Resource })

export const ROOT_PATH = '/admin'

export interface ExampleAppOptions {
  /** Port to listen on; 0 lets the OS pick a free one. @default 0 */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /**
   * Shared state in Redis: the collaboration's, and the login sessions too (connect-redis), so that
   * several processes behind one load balancer know the same logins. Absent: memory, one process.
   */
  redisUrl?: string
  /**
   * How the browser gets the custom components. 'watch': rebuild on change (development, keeps a
   * file watcher running for the life of the process); 'build': bundle once before listening;
   * 'none': skip, for tests that never load a page (AdminJS would still build on the first request).
   * @default 'build'
   */
  bundle?: 'watch' | 'build' | 'none'
  /** Collaboration options on top of the example's (e.g. short lock TTLs in tests). */
  collaboration?: Partial<CollaborationOptions>
  /** Feature options of the Page resource only (tests turn a switch off for one resource). */
  pageFeature?: FeatureOptions
  /** Property options of the Page resource on top of the example's (tests use other field types). */
  pageProperties?: ResourceOptions['properties']
  /** Feature options of the Post resource only. */
  postFeature?: FeatureOptions
  /** More actions of the Post resource (tests add custom actions that write). */
  postActions?: ResourceOptions['actions']
  /**
   * A database to use instead of a new one: apps given the same one act as several processes of one
   * deployment on one shared database (tests). It is not closed with the app.
   */
  database?: ExampleDatabase
  /**
   * Session settings, for tests that put two apps behind one login (one store, one secret, as
   * several processes behind a load balancer would). Defaults: a Redis session store with
   * `redisUrl`, else a new MemoryStore; a random secret.
   */
  session?: { store?: session.Store; secret?: string; cookieName?: string }
  /** No progress output. @default false */
  quiet?: boolean
  /** AdminJS's `locale` (language, availableLanguages, translations): tests show the admin in German. @default AdminJS's English */
  locale?: AdminJSOptions['locale']
  /** Where the collaboration reports operational problems (tests collect them). @default console */
  logger?: Pick<Console, 'error' | 'warn' | 'info'>
}

export interface ExampleApp extends ExampleQueries {
  /** e.g. http://127.0.0.1:PORT */
  url: string
  /** url + '/admin' */
  adminUrl: string
  port: number
  /** The HTTP server the admin and the socket server share. */
  server: http.Server
  admin: AdminJS
  collaboration: Collaboration
  dataSource: DataSource
  /** The one store the admin login and the socket server both read. */
  sessionStore: session.Store
  /** Closes the collaboration, the HTTP server (with open sockets) and the database. Idempotent. */
  close(): Promise<void>
}

/** Only editors may change data; readers (Dave) see everything but get refused on any write. */
const editorsOnly = ({ currentAdmin }: ActionContext): boolean => currentAdmin?.role === 'editor'
const writeActions: ResourceOptions['actions'] = {
  new: { isAccessible: editorsOnly },
  edit: { isAccessible: editorsOnly },
  delete: { isAccessible: editorsOnly },
  bulkDelete: { isAccessible: editorsOnly },
}

export async function startExampleApp(options: ExampleAppOptions = {}): Promise<ExampleApp> {
  const { port = 0, host = '127.0.0.1', bundle = 'build', quiet = false } = options
  const log = (message: string) => {
    if (!quiet) console.log(message)
  }

  // What is open so far. close() (and a failed start) shuts it in this order: the collaboration
  // first, so sockets are told goodbye and leases released while the store still works; then the
  // HTTP server, so no admin request is in flight; the database last.
  let collaboration: Collaboration | undefined
  let closeServer: (() => Promise<void>) | undefined
  let dataSource: DataSource | undefined
  let sessionRedis: Redis | undefined
  const closeOpened = async () => {
    const steps = [
      () => collaboration?.close(),
      () => closeServer?.(),
      () => dataSource?.destroy(),
      async () => void (await sessionRedis?.quit().catch(() => sessionRedis?.disconnect())),
    ]
    const errors: unknown[] = []
    for (const step of steps) {
      try {
        await step()
      } catch (error) {
        errors.push(error) // keep closing the rest; report afterwards
      }
    }
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, 'closing the example app failed')
  }

  try {
    const database = options.database ?? (await createExampleDatabase())
    // A shared database belongs to whoever made it.
    if (!options.database) dataSource = database.dataSource
    const { entities } = database

    // Its store may open a Redis connection right away, so it counts as opened from here.
    collaboration = new Collaboration({ redis: options.redisUrl, ...options.collaboration })

    const admin = new AdminJS({
      rootPath: ROOT_PATH,
      ...(options.locale ? { locale: options.locale } : {}),
      branding: { companyName: 'Collaborator example', withMadeWithLove: false },
      resources: [
        {
          resource: entities.Post,
          options: {
            // Explicit ids: the default is the class name, which a bundler may rename, and the id is
            // part of every URL and of the collaboration's record keys.
            id: 'Post',
            navigation: { name: 'Content', icon: 'FileText' },
            listProperties: ['id', 'title', 'status', 'updatedAt'],
            properties: { body: { type: 'textarea', props: { rows: 10 } } },
            sort: { sortBy: 'updatedAt', direction: 'desc' },
            actions: { ...writeActions, ...options.postActions },
          },
          features: [collaboration.feature(options.postFeature)],
        },
        {
          resource: entities.Page,
          options: {
            id: 'Page',
            navigation: { name: 'Content', icon: 'FileText' },
            listProperties: ['slug', 'title', 'updatedAt'],
            properties: { content: { type: 'textarea', props: { rows: 10 } }, ...options.pageProperties },
            sort: { sortBy: 'updatedAt', direction: 'desc' },
            actions: writeActions,
          },
          features: [collaboration.feature(options.pageFeature)],
        },
      ],
    })

    if (bundle === 'build') {
      log('Bundling the admin components…')
      await bundleComponentsOnce(admin)
    } else if (bundle === 'watch') {
      // Starts a rollup watcher that AdminJS offers no way to stop: for the CLI only.
      await admin.watch()
    }

    const cookieName = options.session?.cookieName ?? 'adminjs-collaborator-example'
    const cookiePassword = options.session?.secret ?? randomBytes(32).toString('hex')
    let sessionStore = options.session?.store
    if (!sessionStore && options.redisUrl) {
      sessionRedis = new Redis(options.redisUrl)
      sessionRedis.on('error', () => undefined) // down: logins fail until it is back, the process stays up
      sessionStore = new RedisSessionStore({ client: sessionRedis, prefix: 'adminjs-collaborator-example:sess:' })
    }
    sessionStore ??= new session.MemoryStore()
    // The socket server must read sessions with these very options: same store instance, same
    // secret and cookie name (@adminjs/express overrides `secret` and `name` with the auth's).
    const sessionOptions: session.SessionOptions = {
      store: sessionStore,
      secret: cookiePassword,
      name: cookieName,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }
    const router = AdminJSExpress.buildAuthenticatedRouter(
      admin,
      { authenticate, cookieName, cookiePassword },
      null,
      sessionOptions,
    )

    const app = express()
    app.get('/', (_req, res) => res.redirect(admin.options.rootPath))
    app.use(admin.options.rootPath, router)

    const server = http.createServer(app)
    closeServer = trackAndClose(server)
    // Attached before listening, so no page can load before the socket server is there.
    await collaboration.attach(server, {
      admin,
      auth: { cookieName, cookiePassword },
      session: sessionOptions,
      ...(options.logger ? { logger: options.logger } : {}),
    })
    // Serve pages only once the store answers, so a first join does not meet store_unavailable.
    // A Redis that is not up yet is no reason to fail: the pages say "offline" until it is.
    await collaboration.ready().catch((error: unknown) => log(`Collaboration store not ready yet (${error instanceof Error ? error.message : String(error)}); pages show "offline" until it is.`))
    await listen(server, port, host)

    const actualPort = (server.address() as AddressInfo).port
    const url = `http://${urlHost(host)}:${actualPort}`
    let closing: Promise<void> | undefined
    return {
      url,
      adminUrl: `${url}${admin.options.rootPath}`,
      port: actualPort,
      server,
      admin,
      collaboration,
      dataSource: database.dataSource,
      sessionStore,
      ...exampleQueries(database),
      close: () => (closing ??= closeOpened()),
    }
  } catch (error) {
    await closeOpened().catch(() => undefined) // the startup error is the one worth reporting
    throw error
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/**
 * Returns a closer for the server that does not wait for clients: `closeAllConnections()` ends the
 * HTTP keep-alive connections, and the sockets tracked here cover upgraded (WebSocket) ones, which
 * the HTTP server no longer counts as its connections but which still keep `close()` waiting.
 * Socket.IO's own close may already have closed the server; that is not an error.
 */
function trackAndClose(server: http.Server): () => Promise<void> {
  const sockets = new Set<Socket>()
  let listened = false
  let closed = false
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.once('listening', () => {
    listened = true
  })
  server.once('close', () => {
    closed = true
  })
  return () =>
    new Promise<void>((resolve, reject) => {
      if (server.listening) {
        server.close((error) => (error ? reject(error) : resolve()))
      } else if (listened && !closed) {
        server.once('close', () => resolve()) // closing already, waiting for its connections
      } else {
        resolve() // never listened (startup failed earlier), or fully closed
      }
      server.closeAllConnections()
      for (const socket of sockets) socket.destroy()
    })
}

/** A host to put in a URL: wildcard binds are reached on loopback, IPv6 literals need brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}
