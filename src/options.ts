/**
 * The option set, described once: types with their defaults, one merge, one validation that throws
 * a message naming the offending key at startup. The README's options table is checked against
 * `optionDocs` by a test, so the two cannot drift apart.
 */
import { z } from 'zod'
import { configErrors } from './errors.js'
import { defaultTexts, type CollaborationTexts } from './texts.js'
import type { UserView } from './protocol.js'

/** What AdminJS keeps as the logged-in admin (`req.session.adminUser`): any object with fields. */
export type AdminUser = Record<string, unknown>

export interface RedisConnectionOptions {
  /** Upper bound of the exponential reconnect back-off. @default 5000 */
  maxRetryDelayMs?: number
  /** First reconnect delay, doubled on every failed attempt. @default 100 */
  retryDelayMs?: number
  /** Give up connecting after this long (then retry with back-off). @default 5000 */
  connectTimeoutMs?: number
  /** A command that got no answer by then fails, so a lock is never granted late. @default 2000 */
  commandTimeoutMs?: number
}

export interface CollaborationOptions {
  /**
   * Where shared state lives. A `redis://` URL, or an ioredis client to reuse (it is duplicated,
   * never closed by us). Absent: an in-memory store for a single process.
   * @default undefined (memory)
   */
  redis?: string | object
  /** Prefix of every Redis key, so several admins can share one Redis. @default 'adminjs-collaborator:' */
  redisKeyPrefix?: string
  /** Redis reconnect and timeout settings. */
  redisConnection?: RedisConnectionOptions
  /** Socket.IO path. @default `${admin.options.rootPath}/collaborator/socket.io` */
  socketPath?: string
  /** Origins allowed to open the socket besides the admin's own. @default [] */
  allowedOrigins?: string[]
  /** UI texts; see `defaultTexts`. */
  texts?: Partial<CollaborationTexts>
  /** Property of the logged-in admin holding an avatar image URL. @default 'avatarUrl' */
  avatarField?: string
  /** Derives the id, name and avatar shown to others from the logged-in admin. @default id|email, title|name|email */
  identify?: (admin: AdminUser) => UserView
  /** Seconds a viewer must wait between two attention requests on one record. @default 15 */
  notificationRequestInterval?: number
  /** Offer the chat drawer. @default true */
  enableChat?: boolean
  /** Longest chat message, in characters. @default 2000 */
  chatMaxLength?: number
  /** Chat messages one user may send per minute (on any record). @default 30 */
  chatMessagesPerMinute?: number
  /** Messages kept per conversation. @default 100 */
  chatHistoryLimit?: number
  /** How long a conversation's history is kept after its last message. @default 604800000 (7 days) */
  chatHistoryTtlMs?: number
  /** Lock the edit page for all but one editor; false shows presence without locking. @default true */
  blockEditing?: boolean
  /** A lease not renewed for this long frees the record (the bound for a crashed process). @default 30000 */
  lockTtlMs?: number
  /** How often the server renews the leases of its connected editors. @default 10000 */
  heartbeatIntervalMs?: number
  /** After an editor's connection drops, how long the lock waits for that tab to come back. @default 5000 */
  reconnectGraceMs?: number
  /** Socket.IO ping interval: with pingTimeoutMs, how soon a silently vanished tab is noticed. @default 10000 */
  pingIntervalMs?: number
  /** Socket.IO ping timeout. @default 5000 */
  pingTimeoutMs?: number
  /** Largest accepted event payload, in bytes of JSON. @default 16384 */
  maxEventBytes?: number
  /** Events one socket may send per second (burst: twice that). @default 20 */
  eventsPerSecond?: number
  /** Records one socket may be joined to at once; one more join is refused `too_many_records`. @default 20 */
  maxRecordsPerSocket?: number
  /** Sockets one user may hold open on one server process; one more is refused `too_many_sockets`. @default 30 */
  maxSocketsPerUser?: number
  /**
   * The admin is behind a proxy that terminates TLS or rewrites Host, and sets X-Forwarded-Proto
   * and X-Forwarded-Host: the origin check compares the page's origin with those. Only set this
   * when such a proxy always overwrites them, or a client could pick its own. @default false
   */
  trustProxy?: boolean
  /**
   * Reads the logged-in admin again when a socket opens and whenever its session is re-checked (on
   * every join and claim, and every `heartbeatIntervalMs`), e.g. from your users table: return null
   * when the admin was removed (no socket opens). A socket is opened for the admin this returns;
   * when a later result differs (another role, say), the socket is closed as `unauthenticated` and
   * the page's next socket gets the rights of the admin as it is then. @default the session's admin as stored at login
   */
  refreshAdmin?: (admin: AdminUser) => AdminUser | null | Promise<AdminUser | null>
}

/** What a single `feature()` call may change for its resource. */
export interface FeatureOptions {
  texts?: Partial<CollaborationTexts>
  blockEditing?: boolean
  enableChat?: boolean
  /**
   * An update whose request sends fields must say which version of the record they were built
   * from (`__collaboratorVersion`, as read from the record's params). False accepts such saves
   * without it, for API clients that cannot send it: they may then overwrite changes saved since
   * they read the record. @default true
   */
  requireVersion?: boolean
  /**
   * Names of this resource's actions whose writes skip the write guard (e.g. a counter an action
   * bumps, which must not wait for the edit lock). Their writes may overwrite an editor's work.
   * @default []
   */
  unguardedActions?: string[]
}

export interface ResolvedOptions {
  redis: string | object | undefined
  redisKeyPrefix: string
  redisConnection: Required<RedisConnectionOptions>
  socketPath: string | undefined
  allowedOrigins: string[]
  texts: CollaborationTexts
  avatarField: string
  identify: (admin: AdminUser) => UserView
  notificationRequestInterval: number
  enableChat: boolean
  chatMaxLength: number
  chatMessagesPerMinute: number
  chatHistoryLimit: number
  chatHistoryTtlMs: number
  blockEditing: boolean
  lockTtlMs: number
  heartbeatIntervalMs: number
  reconnectGraceMs: number
  pingIntervalMs: number
  pingTimeoutMs: number
  maxEventBytes: number
  eventsPerSecond: number
  maxRecordsPerSocket: number
  maxSocketsPerUser: number
  trustProxy: boolean
  refreshAdmin: ((admin: AdminUser) => AdminUser | null | Promise<AdminUser | null>) | undefined
}

/** One line per option for the README table: name, default, meaning. */
export const optionDocs: Array<{ name: string; default: string; meaning: string }> = [
  { name: 'redis', default: '(memory)', meaning: 'A `redis://` URL or an ioredis client to share state between processes; absent keeps state in this process.' },
  { name: 'redisKeyPrefix', default: "'adminjs-collaborator:'", meaning: 'Prefix of every Redis key.' },
  { name: 'redisConnection', default: 'see below', meaning: 'Reconnect back-off and timeouts: `retryDelayMs` 100, `maxRetryDelayMs` 5000, `connectTimeoutMs` 5000, `commandTimeoutMs` 2000.' },
  { name: 'socketPath', default: '`<rootPath>/collaborator/socket.io`', meaning: 'Socket.IO path.' },
  { name: 'allowedOrigins', default: '[]', meaning: "Origins allowed to open the socket besides the admin's own." },
  { name: 'texts', default: 'see Texts', meaning: 'Overrides for any UI text.' },
  { name: 'avatarField', default: "'avatarUrl'", meaning: 'Property of the logged-in admin holding an avatar URL.' },
  { name: 'identify', default: 'id or email; title, name or email', meaning: 'Function deriving `{ id, name, avatarUrl }` from the logged-in admin.' },
  { name: 'notificationRequestInterval', default: '15', meaning: 'Seconds between two attention requests of one viewer on one record.' },
  { name: 'enableChat', default: 'true', meaning: 'Offer the chat drawer.' },
  { name: 'chatMaxLength', default: '2000', meaning: 'Longest chat message, in characters.' },
  { name: 'chatMessagesPerMinute', default: '30', meaning: 'Chat messages one user may send per minute.' },
  { name: 'chatHistoryLimit', default: '100', meaning: 'Messages kept per conversation.' },
  { name: 'chatHistoryTtlMs', default: '604800000 (7 days)', meaning: "How long a conversation's history is kept after its last message." },
  { name: 'blockEditing', default: 'true', meaning: 'Lock the edit page to one editor; false shows presence only.' },
  { name: 'lockTtlMs', default: '30000', meaning: 'A lease not renewed for this long frees the record (bound for a crashed server process).' },
  { name: 'heartbeatIntervalMs', default: '10000', meaning: 'How often the server renews its connected editors\' leases; must be under half of `lockTtlMs`.' },
  { name: 'reconnectGraceMs', default: '5000', meaning: "How long a dropped editor's lock waits for that tab to reconnect." },
  { name: 'pingIntervalMs', default: '10000', meaning: 'Socket.IO ping interval; a silently vanished tab is noticed within `pingIntervalMs + pingTimeoutMs`.' },
  { name: 'pingTimeoutMs', default: '5000', meaning: 'Socket.IO ping timeout.' },
  { name: 'maxEventBytes', default: '16384', meaning: 'Largest accepted socket event, in bytes of JSON.' },
  { name: 'eventsPerSecond', default: '20', meaning: 'Events one socket may send per second (burst twice that).' },
  { name: 'maxRecordsPerSocket', default: '20', meaning: 'Records one socket may be joined to at once (`too_many_records` beyond).' },
  { name: 'maxSocketsPerUser', default: '30', meaning: 'Sockets one user may hold open on one server process (`too_many_sockets` beyond).' },
  { name: 'trustProxy', default: 'false', meaning: 'Check the origin against `X-Forwarded-Proto`/`-Host` (only behind a proxy that always sets them).' },
  { name: 'refreshAdmin', default: "(the session's admin)", meaning: 'Reads the admin again when a socket opens and at every session re-check; null or a changed admin closes its sockets.' },
]

const textsSchema = z
  .object(Object.fromEntries(Object.keys(defaultTexts).map((key) => [key, z.string()])) as Record<keyof CollaborationTexts, z.ZodString>)
  .partial()
  .strict()

const positiveInt = z.number().int().positive()

const optionsSchema = z
  .object({
    redis: z.union([z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'), z.object({}).passthrough()]).optional(),
    redisKeyPrefix: z.string().min(1).optional(),
    redisConnection: z
      .object({
        maxRetryDelayMs: positiveInt.optional(),
        retryDelayMs: positiveInt.optional(),
        connectTimeoutMs: positiveInt.optional(),
        commandTimeoutMs: positiveInt.optional(),
      })
      .strict()
      .optional(),
    socketPath: z.string().startsWith('/').optional(),
    allowedOrigins: z.array(z.string().url()).optional(),
    texts: textsSchema.optional(),
    avatarField: z.string().min(1).optional(),
    identify: z.function().optional(),
    notificationRequestInterval: z.number().nonnegative().optional(),
    enableChat: z.boolean().optional(),
    chatMaxLength: positiveInt.optional(),
    chatMessagesPerMinute: positiveInt.optional(),
    chatHistoryLimit: positiveInt.optional(),
    chatHistoryTtlMs: positiveInt.optional(),
    blockEditing: z.boolean().optional(),
    lockTtlMs: positiveInt.optional(),
    heartbeatIntervalMs: positiveInt.optional(),
    reconnectGraceMs: z.number().int().nonnegative().optional(),
    pingIntervalMs: positiveInt.optional(),
    pingTimeoutMs: positiveInt.optional(),
    maxEventBytes: positiveInt.optional(),
    eventsPerSecond: positiveInt.optional(),
    maxRecordsPerSocket: positiveInt.optional(),
    maxSocketsPerUser: positiveInt.optional(),
    trustProxy: z.boolean().optional(),
    refreshAdmin: z.function().optional(),
  })
  .strict()

const featureSchema = z
  .object({
    texts: textsSchema.optional(),
    blockEditing: z.boolean().optional(),
    enableChat: z.boolean().optional(),
    requireVersion: z.boolean().optional(),
    unguardedActions: z.array(z.string().min(1)).optional(),
  })
  .strict()

/** Turns zod's first problem into our one-line message naming the key. */
function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  if (issue.code === 'unrecognized_keys') {
    throw configErrors.unknownOption([prefix, ...issue.path, issue.keys[0]].filter(Boolean).join('.'))
  }
  throw configErrors.invalidOption([prefix, ...issue.path].filter(Boolean).join('.') || '(options)', issue.message)
}

function stringField(admin: AdminUser, key: string): string | undefined {
  const value = admin[key]
  if (typeof value === 'string' && value.length > 0) return value
  if (typeof value === 'number') return String(value)
  return undefined
}

export function defaultIdentify(avatarField: string) {
  return (admin: AdminUser): UserView => {
    const id = stringField(admin, 'id') ?? stringField(admin, 'email') ?? 'anonymous'
    const name = stringField(admin, 'title') ?? stringField(admin, 'name') ?? stringField(admin, 'email') ?? id
    const avatarUrl = stringField(admin, avatarField)
    return avatarUrl ? { id, name, avatarUrl } : { id, name }
  }
}

export function resolveOptions(input: CollaborationOptions | undefined): ResolvedOptions {
  const given = parseOrThrow(optionsSchema, input) as CollaborationOptions
  const lockTtlMs = given.lockTtlMs ?? 30_000
  const heartbeatIntervalMs = given.heartbeatIntervalMs ?? Math.min(10_000, Math.floor(lockTtlMs / 3))
  if (heartbeatIntervalMs * 2 > lockTtlMs) throw configErrors.heartbeatTooSlow(heartbeatIntervalMs, lockTtlMs)
  const chatMaxLength = given.chatMaxLength ?? 2000
  const maxEventBytes = given.maxEventBytes ?? 16_384
  // A character takes up to 4 bytes of UTF-8 and the event has a few hundred bytes around the text:
  // below this, a long message would be refused as too large an event instead of as too long.
  if (chatMaxLength * 4 + 1024 > maxEventBytes) throw configErrors.chatLongerThanEvents(chatMaxLength, maxEventBytes)
  const avatarField = given.avatarField ?? 'avatarUrl'
  return {
    redis: given.redis,
    redisKeyPrefix: given.redisKeyPrefix ?? 'adminjs-collaborator:',
    redisConnection: {
      maxRetryDelayMs: 5000,
      retryDelayMs: 100,
      connectTimeoutMs: 5000,
      commandTimeoutMs: 2000,
      ...given.redisConnection,
    },
    socketPath: given.socketPath,
    allowedOrigins: given.allowedOrigins ?? [],
    texts: { ...defaultTexts, ...given.texts },
    avatarField,
    identify: given.identify ?? defaultIdentify(avatarField),
    notificationRequestInterval: given.notificationRequestInterval ?? 15,
    enableChat: given.enableChat ?? true,
    chatMaxLength,
    chatMessagesPerMinute: given.chatMessagesPerMinute ?? 30,
    chatHistoryLimit: given.chatHistoryLimit ?? 100,
    chatHistoryTtlMs: given.chatHistoryTtlMs ?? 7 * 24 * 60 * 60_000,
    blockEditing: given.blockEditing ?? true,
    lockTtlMs,
    heartbeatIntervalMs,
    reconnectGraceMs: given.reconnectGraceMs ?? 5000,
    pingIntervalMs: given.pingIntervalMs ?? 10_000,
    pingTimeoutMs: given.pingTimeoutMs ?? 5000,
    maxEventBytes,
    eventsPerSecond: given.eventsPerSecond ?? 20,
    maxRecordsPerSocket: given.maxRecordsPerSocket ?? 20,
    maxSocketsPerUser: given.maxSocketsPerUser ?? 30,
    trustProxy: given.trustProxy ?? false,
    refreshAdmin: given.refreshAdmin,
  }
}

export function resolveFeatureOptions(input: FeatureOptions | undefined, base: ResolvedOptions) {
  const given = parseOrThrow(featureSchema, input, 'feature') as FeatureOptions
  return {
    texts: { ...base.texts, ...given.texts },
    blockEditing: given.blockEditing ?? base.blockEditing,
    enableChat: given.enableChat ?? base.enableChat,
    requireVersion: given.requireVersion ?? true,
    unguardedActions: given.unguardedActions ?? [],
  }
}
export type ResolvedFeatureOptions = ReturnType<typeof resolveFeatureOptions>
