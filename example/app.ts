/**
 * The example admin: two resources (posts and pages) with the collaboration feature, a login for
 * four users, and the socket server on the same HTTP server as the admin. server.ts starts it
 * (`npm run example`), once per process; cluster.ts starts several such processes.
 *
 * This is the demo only. Tests and the bench run their own copy with test hooks (test/fixture/),
 * so the example may change freely.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import express from 'express'
import session from 'express-session'
import RedisSessionStore from 'connect-redis'
import { Redis } from 'ioredis'
import AdminJS, { type ActionContext, type ResourceOptions } from 'adminjs'
import AdminJSExpress from '@adminjs/express'
import { Database, Resource } from '@adminjs/typeorm'
import { ADMIN_JS_TMP_DIR, componentsBundler, generateUserComponentEntry } from 'adminjs/bundler'
import { Collaboration, LISTEN_BACKLOG } from '../src/index.js'
import { Page, Post, openExampleDatabase } from './data.js'
import { authenticate } from './users.js'

AdminJS.registerAdapter({ Database, Resource })

export const ROOT_PATH = '/admin'

export interface ExampleAppOptions {
  /** Port to listen on; 0 lets the OS pick a free one. */
  port: number
  host: string
  /**
   * Shared state in Redis: the collaboration's, and the login sessions too (connect-redis), so that
   * several processes behind one load balancer know the same logins. Absent: memory, one process.
   */
  redisUrl?: string
  /**
   * How the browser gets the custom components. 'watch': rebuild on change (development; the
   * watcher runs for the life of the process); 'build': bundle once before listening;
   * 'none': skip (cluster workers that serve no pages).
   */
  bundle: 'watch' | 'build' | 'none'
  /** The login cookie's secret; processes that share logins need the same one. @default random */
  sessionSecret?: string
  /** Sockets served by processes of their own (split.ts): where the pages connect, and the tokens' secret. */
  socketUrl?: string
  tokenSecret?: string
}

export interface ExampleApp {
  /** e.g. http://127.0.0.1:PORT */
  url: string
  /** url + '/admin' */
  adminUrl: string
  port: number
  collaboration: Collaboration
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

/** The example's AdminJS: its resources with the feature, the locks page. The socket processes build the same. */
export function exampleAdmin(collaboration: Collaboration): AdminJS {
  return new AdminJS({
    rootPath: ROOT_PATH,
    branding: { companyName: 'Collaborator example', withMadeWithLove: false },
    resources: [
      {
        resource: Post,
        options: {
          // Explicit ids: the default is the class name, which a bundler may rename, and the id is
          // part of every URL and of the collaboration's record keys.
          id: 'Post',
          navigation: { name: 'Content', icon: 'FileText' },
          listProperties: ['id', 'title', 'status', 'updatedAt'],
          properties: { body: { type: 'textarea', props: { rows: 10 } } },
          sort: { sortBy: 'updatedAt', direction: 'desc' },
          actions: writeActions,
        },
        features: [collaboration.feature()],
      },
      {
        resource: Page,
        options: {
          id: 'Page',
          navigation: { name: 'Content', icon: 'FileText' },
          listProperties: ['slug', 'title', 'updatedAt'],
          properties: { content: { type: 'textarea', props: { rows: 10 } } },
          sort: { sortBy: 'updatedAt', direction: 'desc' },
          actions: writeActions,
        },
        features: [collaboration.feature()],
      },
    ],
    pages: { locks: collaboration.locksPage() },
  })
}

/** The login sessions: in Redis when there is one (every process reads the same), else this process's memory. */
export function exampleSessionStore(redisUrl: string | undefined): { store: session.Store; close(): Promise<void> } {
  if (!redisUrl) return { store: new session.MemoryStore(), close: async () => undefined }
  const sessionRedis = new Redis(redisUrl)
  sessionRedis.on('error', () => undefined) // down: logins fail until it is back, the process stays up
  return {
    store: new RedisSessionStore({ client: sessionRedis, prefix: 'adminjs-collaborator-example:sess:' }),
    close: async () => void (await sessionRedis.quit().catch(() => sessionRedis.disconnect())),
  }
}

export async function startExampleApp(options: ExampleAppOptions): Promise<ExampleApp> {
  const dataSource = await openExampleDatabase()
  const collaboration = new Collaboration({
    redis: options.redisUrl,
    // Editors may end anyone's lock from the locks page; readers see the page and their own locks.
    canForceRelease: ({ currentAdmin }) => currentAdmin.role === 'editor',
    ...(options.socketUrl ? { socketUrl: options.socketUrl, tokenSecret: options.tokenSecret } : {}),
  })
  const admin = exampleAdmin(collaboration)

  if (options.bundle === 'build') {
    // What admin.initialize() does in production. Outside production @adminjs/express serves the
    // file the bundler last wrote, so the first page load gets the current components.
    console.log('Bundling the admin components…')
    await componentsBundler.createEntry({ content: generateUserComponentEntry(admin, ADMIN_JS_TMP_DIR) })
    await componentsBundler.build()
  } else if (options.bundle === 'watch') {
    await admin.watch()
  }

  const cookieName = 'adminjs-collaborator-example'
  const cookiePassword = options.sessionSecret ?? randomBytes(32).toString('hex')
  const sessions = exampleSessionStore(options.redisUrl)
  const sessionStore = sessions.store
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
  const router = AdminJSExpress.buildAuthenticatedRouter(admin, { authenticate, cookieName, cookiePassword }, null, sessionOptions)

  const app = express()
  app.get('/', (_req, res) => res.redirect(ROOT_PATH))
  app.use(ROOT_PATH, router)

  const server = http.createServer(app)
  // Attached before listening, so no page can load before the socket server is there.
  await collaboration.attach(server, { admin, auth: { cookieName, cookiePassword }, session: sessionOptions })
  // Serve pages only once the store answers, so a first join does not meet store_unavailable.
  // A Redis that is not up yet is no reason to fail: the pages say "offline" until it is.
  await collaboration
    .ready()
    .catch((error: unknown) => console.log(`Collaboration store not ready yet (${error instanceof Error ? error.message : String(error)}); pages show "offline" until it is.`))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    // Room for the moment every open tab reconnects at once (see LISTEN_BACKLOG).
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject)
      resolve()
    })
  })

  const port = (server.address() as AddressInfo).port
  const url = `http://${urlHost(options.host)}:${port}`
  return {
    url,
    adminUrl: `${url}${ROOT_PATH}`,
    port,
    collaboration,
    close: async () => {
      // The collaboration first: sockets are told goodbye and leases released while the store works.
      await collaboration.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve())) // may be closed already
      await dataSource.destroy()
      await sessions.close()
    },
  }
}

/** A host to put in a URL: wildcard binds are reached on loopback, IPv6 literals need brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}
