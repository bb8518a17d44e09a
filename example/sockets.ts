/**
 * A socket process of the split example (split.ts starts two): the example's resources, for the
 * permission checks, and `collaboration.listen` on a port of its own; it serves no pages. It
 * shares Redis (state, broadcasts) and the login sessions (connect-redis) with the admin process,
 * and accepts only connections with the admin's tokens. Started with an IPC channel, it reports
 * its port there (`{ listening: port }`) and stops when that channel closes.
 *
 *   REDIS_URL      the admin's Redis (required)
 *   TOKEN_SECRET   the admin's token secret (required)
 *   ADMIN_ORIGIN   where the admin's pages are, e.g. http://127.0.0.1:3000 (required)
 *   PORT, HOST     where to listen (default 0, a free port; 127.0.0.1)
 */
import { Collaboration } from '../src/index.js'
import { exampleAdmin, exampleSessionStore } from './app.js'
import { openExampleDatabase } from './data.js'

function required(name: string): string {
  const value = process.env[name]
  if (!value) {
    console.error(`${name} must be set (split.ts sets it).`)
    process.exit(1)
  }
  return value
}

const redisUrl = required('REDIS_URL')
// Its own copy of the example's database: a join looks the record up (the ids are seeded alike).
const dataSource = await openExampleDatabase()
const collaboration = new Collaboration({ redis: redisUrl, tokenSecret: required('TOKEN_SECRET'), allowedOrigins: [required('ADMIN_ORIGIN')] })
const admin = exampleAdmin(collaboration)
const sessions = exampleSessionStore(redisUrl)
const listening = await collaboration.listen({ port: Number(process.env.PORT || 0), host: process.env.HOST || '127.0.0.1', admin, session: { store: sessions.store } })
await collaboration.ready().catch(() => undefined)
console.log(`Socket process ${process.pid} listening on ${listening.url}`)
process.send?.({ listening: listening.port })

const stop = async () => {
  await listening.close()
  await sessions.close()
  await dataSource.destroy()
  process.exit(0)
}
process.once('SIGTERM', () => void stop())
process.once('SIGINT', () => void stop())
process.once('disconnect', () => void stop())
