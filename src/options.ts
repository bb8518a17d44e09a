/**
 * The option set, described once: the types, one object of defaults (`optionDefaults`) that both
 * the resolver and the README's options table are made from, one validation that throws a message
 * naming the offending key at startup. A test renders each README row from `optionDocs` and
 * `optionDefaults` and finds it in the README, defaults included, so the two cannot drift apart.
 */
import { z } from 'zod'
import { configErrors } from './errors.js'
import { defaultTexts, fromLegacyPlaceholders, type CollaborationTexts } from './texts.js'
import type { BaseRecord, BaseResource } from 'adminjs'
import type { UserView } from './protocol.js'
import type { AuditEvent } from './store/store.js'
import { AUDIT_MAX_ENTRIES } from './store/audit-rules.js'
import { CHANGE_LOG_MAX_ENTRIES } from './store/change-rules.js'

/** What AdminJS keeps as the logged-in admin (`req.session.adminUser`): any object with fields. */
export type AdminUser = Record<string, unknown>

/** What `canTakeOver` decides on: who asks, whose lock it is and how long they have been inactive. */
export interface TakeOverContext {
  /** Who wants the lock. */
  user: UserView
  /** Their admin as the session holds it (roles and such). */
  currentAdmin: AdminUser
  /** The lock's holder: who, since when, last active when (epoch ms, server clock), inactive for how long. */
  holder: { user: UserView; sinceMs: number; lastActiveMs: number; idleMs: number }
  resource: BaseResource
  record: BaseRecord
}

/** A policy's answer: `reason` is shown to the one refused (in place of "Alice was active 20 s ago"). */
export type TakeOverDecision = boolean | { allowed: boolean; reason?: string }

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
   * Where shared state lives. A `redis://` URL; a list of `redis://` URLs of Redis Cluster nodes
   * (one reachable node is enough, the others are found from it; user, password and TLS are the
   * first URL's); or an ioredis client to reuse, `Redis` or `Cluster` (it is duplicated, never
   * closed by us). Absent: an in-memory store for a single process.
   * @default undefined (memory)
   */
  redis?: string | string[] | object
  /** Prefix of every Redis key, so several admins can share one Redis. @default 'adminjs-collaborator:' */
  redisKeyPrefix?: string
  /** Redis reconnect and timeout settings. */
  redisConnection?: RedisConnectionOptions
  /**
   * How many Redis streams carry the Socket.IO broadcasts between processes, each record's always
   * the same one (src/server/partitioned-streams.ts). More than one spreads them over a Redis
   * Cluster's masters; on one Redis server it only adds connections (one reader each per process).
   * Every process of one deployment must use the same number.
   * @default 16 on a Redis Cluster, 1 on a single Redis
   */
  broadcastStreams?: number
  /** Socket.IO path. @default `${admin.options.rootPath}/collaborator/socket.io` */
  socketPath?: string
  /**
   * Where the pages connect when the socket server runs apart from the admin (`collaboration.listen`
   * in processes of its own), e.g. `https://sockets.example.com`. Set on the admin's side: it then
   * issues connection tokens and serves no sockets itself. Needs `redis` and `tokenSecret`.
   * @default undefined (the socket server is attached to the admin's HTTP server)
   */
  socketUrl?: string
  /** The secret the admin signs connection tokens with and separate socket servers check them with (at least 32 characters). */
  tokenSecret?: string
  /** How long a connection token is valid. @default 30000 */
  tokenTtlMs?: number
  /** Origins allowed to open the socket besides the admin's own. @default [] */
  allowedOrigins?: string[]
  /** UI texts; see `defaultTexts`. */
  texts?: Partial<CollaborationTexts>
  /** Property of the logged-in admin holding an avatar image URL. @default 'avatarUrl' */
  avatarField?: string
  /** Derives the id, name and avatar shown to others from the logged-in admin. @default id|email, title|name|email */
  identify?: (admin: AdminUser) => UserView
  /** How long a viewer must wait between two attention requests on one record. @default 15000 */
  notificationRequestIntervalMs?: number
  /** @deprecated Seconds; use `notificationRequestIntervalMs` (this one is read when that is absent). */
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
  /**
   * After an editor's page says it is going away (`pagehide`: closed, reloaded, left the admin), how
   * long the lock waits for that tab to come back, as a reload does; never longer than
   * `reconnectGraceMs`. @default 800
   */
  reloadGraceMs?: number
  /** Once a record with a line ("Notify me when free") frees, how long the first in line has to take it before the next does. @default 30000 */
  queueTurnMs?: number
  /** An editor's lock is released after this long without activity in the form (the input kept as a draft); 0 never. @default 600000 */
  idleTimeoutMs?: number
  /** How long before an idle release the editor's page warns, with "Keep editing". @default 60000 */
  idleWarningMs?: number
  /** The default `canTakeOver`: another user may take the lock once its holder was inactive this long. @default 120000 */
  takeOverAfterIdleMs?: number
  /**
   * May `user` take the lock from its holder now? Asked by the server for the viewer's "Take over"
   * button and again when it is pressed. Sync or async. @default holder inactive for `takeOverAfterIdleMs`
   */
  canTakeOver?: (context: TakeOverContext) => TakeOverDecision | Promise<TakeOverDecision>
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
  /**
   * Who may see every lock and the audit log on the locks page (`collaboration.locksPage()`); the
   * others see only their own locks there. Rows are further limited to resources the admin may
   * `show` through AdminJS. @default every admin
   */
  canViewLocks?: (admin: AdminUser) => boolean | Promise<boolean>
  /** Who may end someone else's lock from the locks page ("Release"); one's own always. @default nobody */
  canForceRelease?: (request: ForceReleaseRequest) => boolean | Promise<boolean>
  /** Receives every audit event as it is appended (write it to a logger or a table); its errors are logged, never thrown. @default none */
  onAudit?: (event: AuditEvent) => void | Promise<void>
  /** How many audit events the store keeps (a Redis stream trimmed on append, a ring in memory). @default 10000 */
  auditMaxEntries?: number
  /** How many changes made through the admin the store keeps for the change feed's panel (as the audit log). @default 1000 */
  changeLogMaxEntries?: number
}

/** Who asks to end a lock from the locks page, whose lock it is, and on which record. */
export interface ForceReleaseRequest {
  /** The admin asking, as shown to others. */
  user: UserView
  /** The admin asking, as AdminJS keeps them (their role and such). */
  currentAdmin: AdminUser
  /** Whose lock it is. */
  holder: UserView
  resource: BaseResource
  record: BaseRecord
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
  /**
   * Tell connected admins of this resource's writes (the change feed, `change:feed`). False keeps
   * them out of every admin's feed. @default true
   */
  changeFeed?: boolean
  /**
   * The resource's list shows who edits and views each row and updates rows in place when others
   * change them (its list component, and a first column). A resource with a list component of its
   * own keeps it. @default true
   */
  liveList?: boolean
}

export interface ResolvedOptions {
  redis: string | string[] | object | undefined
  redisKeyPrefix: string
  redisConnection: Required<RedisConnectionOptions>
  /** undefined: by the store (16 on a Redis Cluster, 1 on one Redis). */
  broadcastStreams: number | undefined
  socketPath: string | undefined
  socketUrl: string | undefined
  tokenSecret: string | undefined
  tokenTtlMs: number
  allowedOrigins: string[]
  /** Every text in English: the defaults with the `texts` option over them (server-side fallbacks). */
  texts: CollaborationTexts
  /** Only the texts the `texts` option gave: registered for every language, over the shipped ones. */
  textOverrides: Partial<CollaborationTexts>
  avatarField: string
  identify: (admin: AdminUser) => UserView
  notificationRequestIntervalMs: number
  enableChat: boolean
  chatMaxLength: number
  chatMessagesPerMinute: number
  chatHistoryLimit: number
  chatHistoryTtlMs: number
  blockEditing: boolean
  lockTtlMs: number
  heartbeatIntervalMs: number
  reconnectGraceMs: number
  reloadGraceMs: number
  queueTurnMs: number
  idleTimeoutMs: number
  idleWarningMs: number
  takeOverAfterIdleMs: number
  canTakeOver: ((context: TakeOverContext) => TakeOverDecision | Promise<TakeOverDecision>) | undefined
  pingIntervalMs: number
  pingTimeoutMs: number
  maxEventBytes: number
  eventsPerSecond: number
  maxRecordsPerSocket: number
  maxSocketsPerUser: number
  trustProxy: boolean
  refreshAdmin: ((admin: AdminUser) => AdminUser | null | Promise<AdminUser | null>) | undefined
  canViewLocks: (admin: AdminUser) => boolean | Promise<boolean>
  canForceRelease: (request: ForceReleaseRequest) => boolean | Promise<boolean>
  onAudit: ((event: AuditEvent) => void | Promise<void>) | undefined
  auditMaxEntries: number
  changeLogMaxEntries: number
}

/**
 * Every default, once. Durations are milliseconds (the name says `Ms`). Options whose default is
 * computed (or is a function, or absent) are not here; their docs say what they default to.
 */
export const optionDefaults = {
  redisKeyPrefix: 'adminjs-collaborator:',
  allowedOrigins: [] as string[],
  avatarField: 'avatarUrl',
  notificationRequestIntervalMs: 15_000,
  enableChat: true,
  chatMaxLength: 2000,
  chatMessagesPerMinute: 30,
  chatHistoryLimit: 100,
  chatHistoryTtlMs: 7 * 24 * 60 * 60_000,
  blockEditing: true,
  lockTtlMs: 30_000,
  reconnectGraceMs: 5000,
  reloadGraceMs: 800,
  queueTurnMs: 30_000,
  idleTimeoutMs: 600_000,
  idleWarningMs: 60_000,
  takeOverAfterIdleMs: 120_000,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 5000,
  maxEventBytes: 16_384,
  eventsPerSecond: 20,
  maxRecordsPerSocket: 20,
  maxSocketsPerUser: 30,
  trustProxy: false,
  auditMaxEntries: AUDIT_MAX_ENTRIES,
  tokenTtlMs: 30_000,
  changeLogMaxEntries: CHANGE_LOG_MAX_ENTRIES,
}

export const redisConnectionDefaults: Required<RedisConnectionOptions> = {
  retryDelayMs: 100,
  maxRetryDelayMs: 5000,
  connectTimeoutMs: 5000,
  commandTimeoutMs: 2000,
}

/**
 * One line per option for the README table. `default` only where it is not in `optionDefaults`
 * (computed, a function, or absent); otherwise the README shows `optionDefaults`' value.
 */
export const optionDocs: Array<{ name: keyof CollaborationOptions; default?: string; meaning: string }> = [
  {
    name: 'redis',
    default: '(memory)',
    meaning:
      'A `redis://` URL, a list of `redis://` URLs of Redis Cluster nodes, or an ioredis client (`Redis` or `Cluster`) to share state between processes; absent keeps state in this process.',
  },
  { name: 'redisKeyPrefix', meaning: 'Prefix of every Redis key.' },
  {
    name: 'broadcastStreams',
    default: '16 on a Redis Cluster, else 1',
    meaning: 'Redis streams the broadcasts between processes are spread over, by record (the same number in every process).',
  },
  {
    name: 'redisConnection',
    default: 'see below',
    meaning: `Reconnect back-off and timeouts: ${Object.entries(redisConnectionDefaults)
      .map(([key, value]) => `\`${key}\` ${value}`)
      .join(', ')}.`,
  },
  { name: 'socketPath', default: '`<rootPath>/collaborator/socket.io`', meaning: 'Socket.IO path.' },
  {
    name: 'socketUrl',
    default: '(none)',
    meaning: 'Where pages connect when the socket server runs apart (`collaboration.listen`); the admin then issues tokens and serves no sockets. Needs `redis` and `tokenSecret`.',
  },
  {
    name: 'tokenSecret',
    default: '(none)',
    meaning: 'The secret connection tokens are signed and checked with, shared by the admin and its socket servers (32 characters or more).',
  },
  { name: 'tokenTtlMs', meaning: 'How long a connection token is valid (the page fetches one for every connection).' },
  { name: 'allowedOrigins', meaning: "Origins allowed to open the socket besides the admin's own." },
  { name: 'texts', default: 'see Texts', meaning: 'Overrides for any UI text.' },
  { name: 'avatarField', meaning: 'Property of the logged-in admin holding an avatar URL.' },
  { name: 'identify', default: 'id or email; title, name or email', meaning: 'Function deriving `{ id, name, avatarUrl }` from the logged-in admin.' },
  {
    name: 'notificationRequestIntervalMs',
    meaning: 'Time between two attention requests of one viewer on one record (the old `notificationRequestInterval`, in seconds, is still read).',
  },
  { name: 'enableChat', meaning: 'Offer the chat drawer.' },
  { name: 'chatMaxLength', meaning: 'Longest chat message, in characters.' },
  { name: 'chatMessagesPerMinute', meaning: 'Chat messages one user may send per minute.' },
  { name: 'chatHistoryLimit', meaning: 'Messages kept per conversation.' },
  { name: 'chatHistoryTtlMs', meaning: "How long a conversation's history is kept after its last message." },
  { name: 'blockEditing', meaning: 'Lock the edit page to one editor; false shows presence only.' },
  { name: 'lockTtlMs', meaning: 'A lease not renewed for this long frees the record (bound for a crashed server process).' },
  {
    name: 'heartbeatIntervalMs',
    default: 'min(10000, lockTtlMs / 3)',
    meaning: "How often the server renews its connected editors' leases and re-checks sessions; must be under half of `lockTtlMs`.",
  },
  { name: 'reconnectGraceMs', meaning: "How long a dropped editor's lock waits for that tab to reconnect." },
  {
    name: 'reloadGraceMs',
    meaning: "How long the lock of an editor's tab that closes or reloads waits for that tab to come back (a reload does); at most `reconnectGraceMs`.",
  },
  { name: 'queueTurnMs', meaning: 'Once a record with a line ("Notify me when free") frees, how long the first in line has to take it before the next does.' },
  {
    name: 'idleTimeoutMs',
    meaning: 'An editor inactive this long (no typing, pointer or focus in the form) loses the lock, the input kept as a draft; the next waiting editor gets it. 0 never releases.',
  },
  { name: 'idleWarningMs', meaning: 'How long before an idle release the editor is warned ("Keep editing").' },
  { name: 'takeOverAfterIdleMs', meaning: 'The default `canTakeOver`: another user may take the lock once its holder has been inactive this long.' },
  {
    name: 'canTakeOver',
    default: 'holder idle `takeOverAfterIdleMs`',
    meaning:
      '`({ user, currentAdmin, holder, resource, record })` → boolean or `{ allowed, reason }` (may be async): whether a viewer may take the lock now; the server asks it, never the page.',
  },
  { name: 'pingIntervalMs', meaning: 'Socket.IO ping interval; a silently vanished tab is noticed within `pingIntervalMs + pingTimeoutMs`.' },
  { name: 'pingTimeoutMs', meaning: 'Socket.IO ping timeout.' },
  { name: 'maxEventBytes', meaning: 'Largest accepted socket event, in bytes of JSON.' },
  { name: 'eventsPerSecond', meaning: 'Events one socket may send per second (burst twice that).' },
  { name: 'maxRecordsPerSocket', meaning: 'Records one socket may be joined to at once (`too_many_records` beyond).' },
  { name: 'maxSocketsPerUser', meaning: 'Sockets one user may hold open on one server process (`too_many_sockets` beyond).' },
  { name: 'trustProxy', meaning: 'Check the origin against `X-Forwarded-Proto`/`-Host` (only behind a proxy that always sets them).' },
  {
    name: 'refreshAdmin',
    default: "(the session's admin)",
    meaning: 'Reads the admin again when a socket opens and at every session re-check; null or a changed admin closes its sockets.',
  },
  { name: 'canViewLocks', default: '(every admin)', meaning: '`(admin) => boolean`: who sees every lock and the audit log on the locks page; others see only their own locks.' },
  {
    name: 'canForceRelease',
    default: '(nobody)',
    meaning: "`({ user, currentAdmin, holder, resource, record }) => boolean`: who may end someone else's lock from the locks page (one's own always).",
  },
  { name: 'onAudit', default: '(none)', meaning: 'Receives every audit event (granted, released, force-released, save refused, …); its errors are logged, never thrown.' },
  { name: 'auditMaxEntries', meaning: 'How many audit events the store keeps (older ones are dropped).' },
  { name: 'changeLogMaxEntries', meaning: "How many changes made through the admin the store keeps for the change feed's panel (older ones are dropped)." },
]

/** The README's default column of an option: its doc's words, or its value in `optionDefaults`. */
export function documentedDefault(doc: (typeof optionDocs)[number]): string {
  if (doc.default !== undefined) return doc.default
  const value = (optionDefaults as Record<string, unknown>)[doc.name]
  if (value === undefined) throw new Error(`option ${doc.name} has neither a default nor a documented one`)
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value)
}

const textsSchema = z
  .object(Object.fromEntries(Object.keys(defaultTexts).map((key) => [key, z.string()])) as Record<keyof CollaborationTexts, z.ZodString>)
  .partial()
  .strict()

const positiveInt = z.number().int().positive()

const optionsSchema = z
  .object({
    redis: z
      .union([
        z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
        z
          .array(z.string().regex(/^rediss?:\/\//, 'must be a list of redis:// or rediss:// URLs (Redis Cluster nodes)'))
          .min(1, 'a list of Redis Cluster nodes must name one at least'),
        z.object({}).passthrough(),
      ])
      .optional(),
    redisKeyPrefix: z.string().min(1).optional(),
    broadcastStreams: z.number().int().min(1).max(256).optional(),
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
    socketUrl: z.string().url().optional(),
    tokenSecret: z.string().min(32).optional(),
    tokenTtlMs: positiveInt.optional(),
    allowedOrigins: z.array(z.string().url()).optional(),
    texts: textsSchema.optional(),
    avatarField: z.string().min(1).optional(),
    identify: z.function().optional(),
    notificationRequestIntervalMs: z.number().int().nonnegative().optional(),
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
    reloadGraceMs: z.number().int().nonnegative().optional(),
    queueTurnMs: positiveInt.optional(),
    idleTimeoutMs: z.number().int().nonnegative().optional(),
    idleWarningMs: z.number().int().nonnegative().optional(),
    takeOverAfterIdleMs: z.number().int().nonnegative().optional(),
    canTakeOver: z.function().optional(),
    pingIntervalMs: positiveInt.optional(),
    pingTimeoutMs: positiveInt.optional(),
    maxEventBytes: positiveInt.optional(),
    eventsPerSecond: positiveInt.optional(),
    maxRecordsPerSocket: positiveInt.optional(),
    maxSocketsPerUser: positiveInt.optional(),
    trustProxy: z.boolean().optional(),
    refreshAdmin: z.function().optional(),
    canViewLocks: z.function().optional(),
    canForceRelease: z.function().optional(),
    onAudit: z.function().optional(),
    auditMaxEntries: positiveInt.optional(),
    changeLogMaxEntries: positiveInt.optional(),
  })
  .strict()

const featureSchema = z
  .object({
    texts: textsSchema.optional(),
    blockEditing: z.boolean().optional(),
    enableChat: z.boolean().optional(),
    requireVersion: z.boolean().optional(),
    unguardedActions: z.array(z.string().min(1)).optional(),
    changeFeed: z.boolean().optional(),
    liveList: z.boolean().optional(),
  })
  .strict()

/** What a value is, as a message names it: `string`, `number`, `array`, `null`, … */
function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined), input)
}

/**
 * Turns zod's first problem into our one-line message naming the key. A wrong type is worded here
 * ("Expected number, received string"), not by zod, whose wording changes between versions.
 */
function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  if (issue.code === 'unrecognized_keys') {
    throw configErrors.unknownOption([prefix, ...issue.path, issue.keys[0]].filter(Boolean).join('.'))
  }
  const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(options)'
  if (issue.code === 'invalid_type') throw configErrors.invalidOption(where, `Expected ${issue.expected}, received ${kindOf(valueAt(input, issue.path))}`)
  throw configErrors.invalidOption(where, issue.message)
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
  const d = optionDefaults
  const lockTtlMs = given.lockTtlMs ?? d.lockTtlMs
  const heartbeatIntervalMs = given.heartbeatIntervalMs ?? Math.min(10_000, Math.floor(lockTtlMs / 3))
  if (heartbeatIntervalMs * 2 > lockTtlMs) throw configErrors.heartbeatTooSlow(heartbeatIntervalMs, lockTtlMs)
  const chatMaxLength = given.chatMaxLength ?? d.chatMaxLength
  const maxEventBytes = given.maxEventBytes ?? d.maxEventBytes
  // A character takes up to 4 bytes of UTF-8 and the event has a few hundred bytes around the text:
  // below this, a long message would be refused as too large an event instead of as too long.
  if (chatMaxLength * 4 + 1024 > maxEventBytes) throw configErrors.chatLongerThanEvents(chatMaxLength, maxEventBytes)
  const avatarField = given.avatarField ?? d.avatarField
  const reconnectGraceMs = given.reconnectGraceMs ?? d.reconnectGraceMs
  const legacyIntervalMs = given.notificationRequestInterval === undefined ? undefined : Math.round(given.notificationRequestInterval * 1000)
  return {
    redis: given.redis,
    redisKeyPrefix: given.redisKeyPrefix ?? d.redisKeyPrefix,
    redisConnection: { ...redisConnectionDefaults, ...given.redisConnection },
    broadcastStreams: given.broadcastStreams,
    socketPath: given.socketPath,
    socketUrl: given.socketUrl,
    tokenSecret: given.tokenSecret,
    tokenTtlMs: given.tokenTtlMs ?? d.tokenTtlMs,
    allowedOrigins: given.allowedOrigins ?? [...d.allowedOrigins],
    texts: { ...defaultTexts, ...textOverridesOf(given.texts) },
    textOverrides: textOverridesOf(given.texts),
    avatarField,
    identify: given.identify ?? defaultIdentify(avatarField),
    notificationRequestIntervalMs: given.notificationRequestIntervalMs ?? legacyIntervalMs ?? d.notificationRequestIntervalMs,
    enableChat: given.enableChat ?? d.enableChat,
    chatMaxLength,
    chatMessagesPerMinute: given.chatMessagesPerMinute ?? d.chatMessagesPerMinute,
    chatHistoryLimit: given.chatHistoryLimit ?? d.chatHistoryLimit,
    chatHistoryTtlMs: given.chatHistoryTtlMs ?? d.chatHistoryTtlMs,
    blockEditing: given.blockEditing ?? d.blockEditing,
    lockTtlMs,
    heartbeatIntervalMs,
    reconnectGraceMs,
    // A page that says it leaves is never kept longer than one that vanished without a word.
    reloadGraceMs: Math.min(given.reloadGraceMs ?? d.reloadGraceMs, reconnectGraceMs),
    queueTurnMs: given.queueTurnMs ?? d.queueTurnMs,
    idleTimeoutMs: given.idleTimeoutMs ?? d.idleTimeoutMs,
    idleWarningMs: given.idleWarningMs ?? d.idleWarningMs,
    takeOverAfterIdleMs: given.takeOverAfterIdleMs ?? d.takeOverAfterIdleMs,
    canTakeOver: given.canTakeOver,
    pingIntervalMs: given.pingIntervalMs ?? d.pingIntervalMs,
    pingTimeoutMs: given.pingTimeoutMs ?? d.pingTimeoutMs,
    maxEventBytes,
    eventsPerSecond: given.eventsPerSecond ?? d.eventsPerSecond,
    maxRecordsPerSocket: given.maxRecordsPerSocket ?? d.maxRecordsPerSocket,
    maxSocketsPerUser: given.maxSocketsPerUser ?? d.maxSocketsPerUser,
    trustProxy: given.trustProxy ?? d.trustProxy,
    refreshAdmin: given.refreshAdmin,
    canViewLocks: given.canViewLocks ?? (() => true),
    canForceRelease: given.canForceRelease ?? (() => false),
    onAudit: given.onAudit,
    auditMaxEntries: given.auditMaxEntries ?? d.auditMaxEntries,
    changeLogMaxEntries: given.changeLogMaxEntries ?? d.changeLogMaxEntries,
  }
}

/**
 * The `texts` a user gave, in i18next's placeholder syntax: the `{name}` form of earlier versions
 * is deprecated and converted here, once, so every later reader sees `{{name}}`.
 */
function textOverridesOf(given: Partial<CollaborationTexts> | undefined): Partial<CollaborationTexts> {
  const converted: Partial<CollaborationTexts> = {}
  for (const [key, text] of Object.entries(given ?? {}) as Array<[keyof CollaborationTexts, string]>) converted[key] = fromLegacyPlaceholders(text)
  return converted
}

export function resolveFeatureOptions(input: FeatureOptions | undefined, base: ResolvedOptions) {
  const given = parseOrThrow(featureSchema, input, 'feature') as FeatureOptions
  return {
    texts: { ...base.texts, ...textOverridesOf(given.texts) },
    textOverrides: { ...base.textOverrides, ...textOverridesOf(given.texts) },
    blockEditing: given.blockEditing ?? base.blockEditing,
    enableChat: given.enableChat ?? base.enableChat,
    requireVersion: given.requireVersion ?? true,
    unguardedActions: given.unguardedActions ?? [],
    changeFeed: given.changeFeed ?? true,
    liveList: given.liveList ?? true,
  }
}
export type ResolvedFeatureOptions = ReturnType<typeof resolveFeatureOptions>
