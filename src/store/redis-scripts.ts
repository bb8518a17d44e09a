/**
 * The Lua scripts of the Redis store, and the one place their replies become typed results.
 * Each script is one atomic step on Redis (no other command runs in between), which is what makes
 * "check the holder, then write" safe across processes. Headers in lua/*.lua document KEYS, ARGV
 * and replies; a file is named `<command>-<number of keys>.lua` (as in BullMQ), and the command is
 * the method ioredis adds to the client.
 *
 * Replies that carry structure (a lease, a write entry) come back as JSON with named fields, and
 * everything read back from Redis is parsed with zod: a reply of another shape is an error, never
 * half understood.
 *
 * The scripts are read once at module load, next to this module (the build copies lua/ to dist).
 */
import { readFileSync } from 'node:fs'
import { z } from 'zod'
import { auditEventSchema, auditFields } from './audit-rules.js'
import { changeRecordSchema, checkedChange } from './change-rules.js'
import { byArrival } from './presence-rules.js'
import type { ChatMessage, UserView } from '../protocol.js'
import {
  QueueRefusedError,
  StoreRecoveringError,
  LeaseEndedError,
  type Claimant,
  type AuditEntry,
  type ChangeEntry,
  type ClaimResult,
  type ForceReleaseResult,
  type Lease,
  type LockSnapshot,
  type PresenceEntry,
  type PresenceSnapshot,
  type QueueEntry,
  type QueueRefusal,
  type QueueSnapshot,
  type QueuedEntry,
  type PresenceUpdate,
  type ReleaseResult,
  type SaveInfo,
  type TransferResult,
  type WriteEntry,
} from './store.js'

interface ScriptDefinition {
  numberOfKeys: number
  lua: string
}

/** Every script, by file name without `.lua`: `<command>-<number of keys>`. */
const SCRIPT_FILES = [
  'lockClaim-8',
  'lockHeartbeat-1',
  'lockRelease-2',
  'lockExpireIn-1',
  'lockTransfer-8',
  'lockTouch-1',
  'lockForceRelease-3',
  'lockGet-2',
  'lockList-1',
  'lockIndex-1',
  'presenceJoin-3',
  'presenceLeave-3',
  'presenceRenew-3',
  'presenceList-3',
  'presenceIndex-1',
  'presenceIndexed-1',
  'queueJoin-6',
  'queueLeave-6',
  'queueRenew-6',
  'queueList-6',
  'attentionThrottle-1',
  'attentionPutCandidate-1',
  'attentionTakeCandidate-1',
  'saveRecord-1',
  'saveLast-1',
  'writeEnter-3',
  'writeLeave-1',
  'chatPost-2',
  'chatAppend-1',
  'chatHistory-1',
  'limitHit-1',
  'auditAppend-1',
  'auditList-1',
  'changeAppend-1',
  'changeList-1',
  'tokenSpend-1',
] as const

type CommandOf<F> = F extends `${infer Command}-${number}` ? Command : never
export type ScriptName = CommandOf<(typeof SCRIPT_FILES)[number]>

const readLua = (path: string) => readFileSync(new URL(`./lua/${path}`, import.meta.url), 'utf8')

/** Redis scripts cannot call one another, so shared functions are pasted in at `-- @include name`. */
function withIncludes(lua: string): string {
  return lua.replace(/^-- @include ([\w-]+)$/gm, (_line, name: string) => readLua(`include/${name}.lua`))
}

function load(file: string): [ScriptName, ScriptDefinition] {
  const match = /^(\w+)-(\d+)$/.exec(file)
  if (!match) throw new Error(`Lua script name must be <command>-<number of keys>: ${file}`)
  return [match[1] as ScriptName, { numberOfKeys: Number(match[2]), lua: withIncludes(readLua(`${file}.lua`)) }]
}

export const scripts = Object.fromEntries(SCRIPT_FILES.map(load)) as Record<ScriptName, ScriptDefinition>

function malformed(reply: unknown, detail?: string): Error {
  return new Error(`adminjs-collaborator: unexpected reply from a Redis script${detail ? ` (${detail})` : ''}: ${JSON.stringify(reply)}`)
}

/** The JSON text a script replied, parsed (not checked yet), or throws naming the reply. */
function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') throw malformed(value)
  try {
    return JSON.parse(value) as unknown
  } catch {
    throw malformed(value, 'not JSON')
  }
}

/** `parsed` (what the script replied as `value`) checked with `schema`, or throws naming the reply. */
function check<S extends z.ZodTypeAny>(schema: S, parsed: unknown, value: unknown): z.infer<S> {
  const result = schema.safeParse(parsed)
  if (!result.success) throw malformed(value, result.error.issues[0]?.message)
  return result.data
}

/** Parses `value` (JSON text when `json`) with `schema`, or throws naming the reply. */
function read<S extends z.ZodTypeAny>(schema: S, value: unknown, json = true): z.infer<S> {
  return check(schema, json ? parseJson(value) : value, value)
}

const storedLease = z.object({
  pttl: z.number().int().nonnegative(),
  token: z.string(),
  userId: z.string(),
  userName: z.string(),
  avatarUrl: z.string().optional(),
  fence: z.number().int(),
  sinceMs: z.number(),
  lastActiveMs: z.number(),
  unsaved: z.boolean(),
})

/** The lease hash keeps flat fields; the store's callers get the one identity shape (`UserView`). */
function userOf(id: string, name: string, avatarUrl: string | undefined): UserView {
  return avatarUrl === undefined ? { id, name } : { id, name, avatarUrl }
}

/** The deadline is read on this process's clock from the lease's remaining time. */
function toLease({ pttl, token, userId, userName, avatarUrl, fence, sinceMs, lastActiveMs, unsaved }: z.infer<typeof storedLease>): Lease {
  return { token, user: userOf(userId, userName, avatarUrl), fence, sinceMs, expiresAtMs: Date.now() + pttl, lastActiveMs, unsaved }
}

const revision = z.number().int().nonnegative()
const leaseReply = z.object({ code: z.number().int(), lease: storedLease.optional(), revision })
const releaseReply = z.object({ released: z.union([z.literal(0), z.literal(1)]), revision })
const forceReleaseReply = releaseReply.extend({ lease: storedLease.optional() })
/** Redis's cjson writes an empty Lua table as `{}`: an empty list of entries. */
const entryList = z.union([
  z.array(z.string()),
  z
    .object({})
    .strict()
    .transform((): string[] => []),
])
const presenceReply = z.object({ entries: entryList, revision })
/** A list in a cjson reply: an empty one comes as `{}`. */
const cjsonList = <T extends z.ZodTypeAny>(item: T) =>
  z.union([
    z.array(item),
    z
      .object({})
      .strict()
      .transform((): Array<z.infer<T>> => []),
  ])
/** A line's entry as the queue scripts reply it: its stored JSON and the ms it has left. */
const queueReplyEntry = z.object({ json: z.string(), leftMs: z.number() })
const queueListing = z.object({ entries: cjsonList(queueReplyEntry), turnLeftMs: z.number().optional() })
const queueReply = z.object({ queue: queueListing, revision, joined: z.union([z.literal(0), z.literal(1)]).optional(), left: z.union([z.literal(0), z.literal(1)]).optional() })
const queueRefusal = z.object({ position: z.number().int().positive().optional(), length: z.number().int().positive(), first: queueReplyEntry, turnLeftMs: z.number() })
const queuedReply = z.object({ code: z.literal(4), queued: queueRefusal, revision })
const transferReply = leaseReply.extend({ queued: queueRefusal.optional() })
const auditPage = z.object({ entries: cjsonList(z.object({ id: z.string(), event: z.string() })), next: z.string().optional() })
const changePage = z.object({ entries: cjsonList(z.object({ id: z.string(), change: z.string() })), next: z.string().optional() })
const presenceUpdateReply = presenceReply.extend({ expired: z.number().int().nonnegative() })
/** Heartbeat replies carry no revision: a renewal changes nothing anyone sees. */
const heartbeatReply = z.object({ code: z.number().int(), lease: storedLease.optional() })
const quietReply = z.object({ code: z.literal(3), quietMs: z.number().int().positive() })
const endedReply = z.object({ code: z.literal(5) })
/** 1 done, 0 not. */
const doneReply = z.union([z.literal(0), z.literal(1)])
const msLeftReply = z.number().int().nonnegative()
const stringList = z.array(z.string())
const streamIdReply = z.string().regex(/^\d+-\d+$/)
const writtenReply = z.literal(1)
const writeEntryReply = z.union([
  z.object({ entered: z.literal(1), fence: z.number().int(), quietMs: z.number().int().nonnegative(), lease: storedLease.optional() }),
  z.object({ entered: z.literal(0), retryInMs: z.number().int().positive() }),
])

const userView = z.object({ id: z.string(), name: z.string(), avatarUrl: z.string().optional() })
const presenceEntry = z.object({
  id: z.string(),
  user: userView,
  tabId: z.string(),
  intent: z.enum(['edit', 'show']),
  sinceMs: z.number(),
})
const claimant = z.object({ token: z.string(), user: userView })
const storedQueueEntry = z.object({ token: z.string(), user: userView, sinceMs: z.number(), turnMs: z.number().int().positive() })
const saveInfo = z.object({ user: userView, atMs: z.number(), version: z.string() })
const chatMessage = z.object({
  id: z.string(),
  resourceId: z.string(),
  recordId: z.string(),
  from: userView,
  to: z.string().nullable(),
  text: z.string(),
  atMs: z.number(),
})

/** Only a UserView's fields, whatever else a custom `identify` returned. */
const userFields = ({ id, name, avatarUrl }: UserView) => ({ id, name, avatarUrl })

/** A parsed user without `avatarUrl` when none was stored (zod leaves no undefined key, but be sure). */
const asUser = (user: z.infer<typeof userView>): UserView => userOf(user.id, user.name, user.avatarUrl)

/** What the scripts store: only the fields of the type, whatever else the caller's object carries. */
export const stored = {
  presenceEntry: ({ id, user, tabId, intent, sinceMs }: PresenceEntry): string => JSON.stringify({ id, user: userFields(user), tabId, intent, sinceMs }),
  claimant: ({ token, user }: Claimant): string => JSON.stringify({ token, user: userFields(user) }),
  save: ({ user, atMs, version }: SaveInfo): string => JSON.stringify({ user: userFields(user), atMs, version }),
  chatMessage: ({ id, resourceId, recordId, from, to, text, atMs }: ChatMessage): string => JSON.stringify({ id, resourceId, recordId, from: userFields(from), to, text, atMs }),
  queueEntry: ({ token, user, sinceMs }: QueueEntry, turnMs: number): string => JSON.stringify({ token, user: userFields(user), sinceMs, turnMs }),
}

/** An entry of a line, at `position`, its deadline read on this process's clock. */
function toQueued({ json, leftMs }: z.infer<typeof queueReplyEntry>, position: number): QueuedEntry {
  const { token, user, sinceMs } = read(storedQueueEntry, json)
  return { token, user: asUser(user), sinceMs, position, expiresAtMs: Date.now() + leftMs }
}

function toQueueSnapshot(queue: z.infer<typeof queueListing>, revision: number): QueueSnapshot {
  return { entries: queue.entries.map((entry, i) => toQueued(entry, i + 1)), turnEndsAtMs: queue.turnLeftMs === undefined ? null : Date.now() + queue.turnLeftMs, revision }
}

function toRefusal({ position, length, first, turnLeftMs }: z.infer<typeof queueRefusal>): QueueRefusal {
  return { position: position ?? null, length, first: toQueued(first, 1), turnEndsAtMs: Date.now() + turnLeftMs }
}

/** Entry JSON as the scripts return it, in arrival order. */
function presenceEntries(entries: string[]): PresenceEntry[] {
  const parsed = entries.map((entry) => {
    const fields = read(presenceEntry, entry)
    return { ...fields, user: asUser(fields.user) }
  })
  return parsed.sort(byArrival)
}

/**
 * Reply codes, as the script headers define them. Every schema above is built once, at load: one
 * built per call (a union of three objects on every claim) cost more than parsing with it.
 */
const ClaimCode = { denied: 0, granted: 1, renewed: 2, quiet: 3, queued: 4, ended: 5 } as const
const Done = 1

export const replies = {
  claim(reply: unknown): ClaimResult {
    // Its code says which reply it is: checked against that one shape only (a union tried every
    // shape in turn, building the issues of each that failed, on every claim).
    const json = parseJson(reply)
    const code = (json as { code?: unknown } | null)?.code
    if (code === ClaimCode.quiet) throw new StoreRecoveringError(check(quietReply, json, reply).quietMs)
    if (code === ClaimCode.ended) {
      check(endedReply, json, reply)
      throw new LeaseEndedError()
    }
    if (code === ClaimCode.queued) {
      const queued = check(queuedReply, json, reply)
      throw new QueueRefusedError(toRefusal(queued.queued), queued.revision)
    }
    const parsed = check(leaseReply, json, reply)
    if (!parsed.lease) throw malformed(reply, 'no lease')
    const lease = toLease(parsed.lease)
    const { revision } = parsed
    if (parsed.code === ClaimCode.granted) return { granted: true, renewed: false, lease, revision }
    if (parsed.code === ClaimCode.renewed) return { granted: true, renewed: true, lease, revision }
    if (parsed.code === ClaimCode.denied) return { granted: false, lease, revision }
    throw malformed(reply, 'unknown code')
  },
  /** heartbeat: the lease, or null when the caller does not hold it. */
  lease(reply: unknown): Lease | null {
    const { code, lease } = read(heartbeatReply, reply)
    return code === Done && lease ? toLease(lease) : null
  },
  /** get: the lease (or null) and the record's revision. */
  snapshot(reply: unknown): LockSnapshot {
    const { code, lease, revision } = read(leaseReply, reply)
    return { lease: code === Done && lease ? toLease(lease) : null, revision }
  },
  transfer(reply: unknown): TransferResult {
    const { code, lease, revision, queued } = read(transferReply, reply)
    if (code === Done && lease) return { transferred: true, lease: toLease(lease), revision }
    if (queued) return { transferred: false, lease: null, queued: toRefusal(queued), revision }
    return { transferred: false, lease: lease ? toLease(lease) : null, revision }
  },
  /** Queue join, leave and list: the line in order, and whether the join or leave happened. */
  queue(reply: unknown): QueueSnapshot & { joined: boolean; left: boolean } {
    const { queue, revision, joined, left } = read(queueReply, reply)
    return { ...toQueueSnapshot(queue, revision), joined: joined === Done, left: left === Done }
  },
  release(reply: unknown): ReleaseResult {
    const { released, revision } = read(releaseReply, reply)
    return { released: released === Done, revision }
  },
  forceRelease(reply: unknown): ForceReleaseResult {
    const { released, lease, revision } = read(forceReleaseReply, reply)
    return { released: released === Done, lease: lease ? toLease(lease) : null, revision }
  },
  writeEntry(reply: unknown): WriteEntry {
    const entry = read(writeEntryReply, reply)
    if (entry.entered === 0) return { entered: false, retryInMs: entry.retryInMs }
    return { entered: true, fence: entry.fence, quietMs: entry.quietMs, lease: entry.lease ? toLease(entry.lease) : null }
  },
  /** expireIn, touch, writeLeave: 1 done, 0 not the holder; presence and queue renew: 1 dropped someone, 0 not. */
  done(reply: unknown): boolean {
    return read(doneReply, reply, false) === Done
  },
  /** Presence list: entry JSON in no particular order, returned in arrival order. */
  presence(reply: unknown): PresenceSnapshot {
    const { entries, revision } = read(presenceReply, reply)
    return { entries: presenceEntries(entries), revision }
  },
  /** Presence join and leave: as `presence`, with the count of expired entries they dropped. */
  presenceUpdate(reply: unknown): PresenceUpdate {
    const { entries, revision, expired } = read(presenceUpdateReply, reply)
    return { entries: presenceEntries(entries), revision, expired }
  },
  /** throttle: 0 started, else the ms left; limit hit: 0 counted, else the ms left of the window. */
  msLeft(reply: unknown): number {
    return read(msLeftReply, reply, false)
  },
  candidate(reply: unknown): Claimant | null {
    if (reply === null) return null
    const parsed = read(claimant, reply)
    return { token: parsed.token, user: asUser(parsed.user) }
  },
  save(reply: unknown): SaveInfo | null {
    if (reply === null) return null
    const parsed = read(saveInfo, reply)
    return { ...parsed, user: asUser(parsed.user) }
  },
  /** Chat history: message JSON, oldest first, kept in that order. */
  chatHistory(reply: unknown): ChatMessage[] {
    return read(stringList, reply, false).map((message) => {
      const parsed = read(chatMessage, message)
      return { ...parsed, from: asUser(parsed.from) }
    })
  },
  /** lockList: the record keys of the index. */
  recordKeys(reply: unknown): string[] {
    return read(stringList, reply, false)
  },
  /** auditList: one page of matches, newest first, and where to continue (null: the log ends). */
  auditPage(reply: unknown): { entries: AuditEntry[]; next: string | null } {
    const { entries, next } = read(auditPage, reply)
    return { entries: entries.map(({ id, event }) => ({ id, ...auditFields(read(auditEventSchema, event)) })), next: next ?? null }
  },
  /** changeList: one page of matches, newest first, and where to continue (null: the log ends). */
  changePage(reply: unknown): { entries: ChangeEntry[]; next: string | null } {
    const { entries, next } = read(changePage, reply)
    return { entries: entries.map(({ id, change }) => ({ id, ...checkedChange(read(changeRecordSchema, change)) })), next: next ?? null }
  },
  /** auditAppend, changeAppend: the new entry's id. */
  streamId(reply: unknown): string {
    return read(streamIdReply, reply, false)
  },
  /** Scripts that only write answer 1. */
  written(reply: unknown): void {
    read(writtenReply, reply, false)
  },
}
