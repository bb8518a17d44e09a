/**
 * The Lua scripts of the Redis store, and the one place their replies become typed results.
 * Each script is one atomic step on Redis (no other command runs in between), which is what makes
 * "check the holder, then write" safe across processes. Headers in lua/*.lua document KEYS, ARGV
 * and replies; the file name carries the key count, as in BullMQ.
 *
 * The scripts are read once at module load, next to this module (the build copies lua/ to dist).
 */
import { readFileSync } from 'node:fs'
import { byArrival } from './presence-rules.js'
import type { ChatMessage, UserView } from '../protocol.js'
import { StoreRecoveringError, type Claimant, type ClaimResult, type Lease, type PresenceEntry, type SaveInfo, type TransferResult, type WriteEntry } from './store.js'

interface ScriptDefinition {
  numberOfKeys: number
  lua: string
}

const readLua = (path: string) => readFileSync(new URL(`./lua/${path}`, import.meta.url), 'utf8')

/** Redis scripts cannot call one another, so shared helpers are pasted in at `-- @include name`. */
function withIncludes(lua: string): string {
  return lua.replace(/^-- @include ([\w-]+)$/gm, (_line, name: string) => readLua(`include/${name}.lua`))
}

function load(file: string): ScriptDefinition {
  const keys = /-(\d+)\.lua$/.exec(file)
  if (!keys) throw new Error(`Lua script name must end with -<number of keys>.lua: ${file}`)
  return { numberOfKeys: Number(keys[1]), lua: withIncludes(readLua(file)) }
}

/** Method names ioredis adds to the client; prefixed so they never shadow a Redis command (`get`). */
export const scripts = {
  lockClaim: load('claim-3.lua'),
  lockHeartbeat: load('heartbeat-1.lua'),
  lockRelease: load('release-1.lua'),
  lockExpireIn: load('expireIn-1.lua'),
  lockTransfer: load('transfer-3.lua'),
  lockGet: load('get-1.lua'),
  presenceJoin: load('joinPresence-2.lua'),
  presenceLeave: load('leavePresence-2.lua'),
  presenceRenew: load('renewPresence-2.lua'),
  presenceList: load('listPresence-2.lua'),
  attentionThrottle: load('throttle-1.lua'),
  attentionPutCandidate: load('putCandidate-1.lua'),
  attentionTakeCandidate: load('takeCandidate-1.lua'),
  saveRecord: load('recordSave-1.lua'),
  saveLast: load('lastSave-1.lua'),
  writeEnter: load('enterWrite-4.lua'),
  writeLeave: load('leaveWrite-1.lua'),
  chatAppend: load('appendChat-1.lua'),
  chatHistory: load('chatHistory-1.lua'),
  limitHit: load('hitLimit-1.lua'),
} satisfies Record<string, ScriptDefinition>

export type ScriptName = keyof typeof scripts

/** Reply codes, as the script headers define them. */
const ClaimCode = { denied: 0, granted: 1, renewed: 2, quiet: 3 } as const
const Done = 1

function malformed(reply: unknown): Error {
  return new Error(`adminjs-collaborator: unexpected reply from a Redis script: ${JSON.stringify(reply)}`)
}

function text(value: unknown, reply: unknown): string {
  if (typeof value !== 'string') throw malformed(reply)
  return value
}

/**
 * Replies carrying a lease are `[code, pttl, token, userId, userName, avatarUrl|null, fence, sinceMs]`;
 * those without one are `[code]`. PTTL rather than an absolute time, so the deadline is read on this
 * process's clock whatever Redis's clock says.
 */
function parse(reply: unknown): { code: number; lease: Lease | null } {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number') throw malformed(reply)
  const code = reply[0]
  if (reply.length === 1) return { code, lease: null }
  const [, pttl, token, userId, userName, avatarUrl, fence, sinceMs] = reply as unknown[]
  if (typeof pttl !== 'number' || pttl < 0) throw malformed(reply)
  const lease: Lease = {
    token: text(token, reply),
    userId: text(userId, reply),
    userName: text(userName, reply),
    fence: Number(text(fence, reply)),
    sinceMs: Number(text(sinceMs, reply)),
    expiresAtMs: Date.now() + pttl,
  }
  if (typeof avatarUrl === 'string') lease.avatarUrl = avatarUrl
  return { code, lease }
}

/** A JSON object one of our scripts stored, with the field checks of `read`. */
function fromJson<T>(value: unknown, reply: unknown, read: (fields: Record<string, unknown>) => T | undefined): T {
  if (typeof value !== 'string') throw malformed(reply)
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    throw malformed(reply)
  }
  const result = typeof parsed === 'object' && parsed !== null ? read(parsed as Record<string, unknown>) : undefined
  if (result === undefined) throw malformed(reply)
  return result
}

const isString = (value: unknown): value is string => typeof value === 'string'
const optionalString = (value: unknown): value is string | undefined => value === undefined || typeof value === 'string'
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

function presenceEntry({ id, userId, userName, avatarUrl, tabId, intent, sinceMs }: Record<string, unknown>): PresenceEntry | undefined {
  if (!isString(id) || !isString(userId) || !isString(userName) || !optionalString(avatarUrl) || !isString(tabId)) return undefined
  if ((intent !== 'edit' && intent !== 'show') || !isNumber(sinceMs)) return undefined
  const entry: PresenceEntry = { id, userId, userName, tabId, intent, sinceMs }
  if (avatarUrl !== undefined) entry.avatarUrl = avatarUrl
  return entry
}

function claimant({ token, userId, userName, avatarUrl }: Record<string, unknown>): Claimant | undefined {
  if (!isString(token) || !isString(userId) || !isString(userName) || !optionalString(avatarUrl)) return undefined
  const result: Claimant = { token, userId, userName }
  if (avatarUrl !== undefined) result.avatarUrl = avatarUrl
  return result
}

function saveInfo({ userId, userName, atMs, version }: Record<string, unknown>): SaveInfo | undefined {
  if (!isString(userId) || !isString(userName) || !isNumber(atMs) || !isString(version)) return undefined
  return { userId, userName, atMs, version }
}

function userView(value: unknown): UserView | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { id, name, avatarUrl } = value as Record<string, unknown>
  if (!isString(id) || !isString(name) || !optionalString(avatarUrl)) return undefined
  return avatarUrl === undefined ? { id, name } : { id, name, avatarUrl }
}

function chatMessage({ id, resourceId, recordId, from, to, text, atMs }: Record<string, unknown>): ChatMessage | undefined {
  const sender = userView(from)
  if (!isString(id) || !isString(resourceId) || !isString(recordId) || !sender || !isString(text) || !isNumber(atMs)) return undefined
  if (to !== null && !isString(to)) return undefined
  return { id, resourceId, recordId, from: sender, to, text, atMs }
}

/** What the scripts store: only the fields of the type, whatever else the caller's object carries. */
export const stored = {
  presenceEntry: ({ id, userId, userName, avatarUrl, tabId, intent, sinceMs }: PresenceEntry): string =>
    JSON.stringify({ id, userId, userName, avatarUrl, tabId, intent, sinceMs }),
  claimant: ({ token, userId, userName, avatarUrl }: Claimant): string => JSON.stringify({ token, userId, userName, avatarUrl }),
  save: ({ userId, userName, atMs, version }: SaveInfo): string => JSON.stringify({ userId, userName, atMs, version }),
  chatMessage: ({ id, resourceId, recordId, from, to, text, atMs }: ChatMessage): string =>
    JSON.stringify({ id, resourceId, recordId, from: { id: from.id, name: from.name, avatarUrl: from.avatarUrl }, to, text, atMs }),
}

export const replies = {
  claim(reply: unknown): ClaimResult {
    if (Array.isArray(reply) && reply[0] === ClaimCode.quiet) {
      if (typeof reply[1] !== 'number') throw malformed(reply)
      throw new StoreRecoveringError(reply[1])
    }
    const { code, lease } = parse(reply)
    if (!lease) throw malformed(reply)
    if (code === ClaimCode.granted) return { granted: true, renewed: false, lease }
    if (code === ClaimCode.renewed) return { granted: true, renewed: true, lease }
    if (code === ClaimCode.denied) return { granted: false, lease }
    throw malformed(reply)
  },
  /** heartbeat and get: the lease, or null when there is none for the caller. */
  lease(reply: unknown): Lease | null {
    const { code, lease } = parse(reply)
    return code === Done ? lease : null
  },
  transfer(reply: unknown): TransferResult {
    const { code, lease } = parse(reply)
    if (code === Done && lease) return { transferred: true, lease }
    return { transferred: false, lease }
  },
  /** release and expireIn: 1 done, 0 not the holder; presence renew: 1 dropped someone, 0 not. */
  done(reply: unknown): boolean {
    if (reply !== 0 && reply !== 1) throw malformed(reply)
    return reply === Done
  },
  /** Presence join, leave and list: entry JSON in no particular order, returned in arrival order. */
  presence(reply: unknown): PresenceEntry[] {
    if (!Array.isArray(reply)) throw malformed(reply)
    return reply.map((value: unknown) => fromJson(value, reply, presenceEntry)).sort(byArrival)
  },
  /** throttle: 0 started, else the ms left; limit hit: 0 counted, else the ms left of the window. */
  msLeft(reply: unknown): number {
    if (typeof reply !== 'number' || !Number.isSafeInteger(reply) || reply < 0) throw malformed(reply)
    return reply
  },
  candidate(reply: unknown): Claimant | null {
    return reply === null ? null : fromJson(reply, reply, claimant)
  },
  save(reply: unknown): SaveInfo | null {
    return reply === null ? null : fromJson(reply, reply, saveInfo)
  },
  /** Chat history: message JSON, oldest first, kept in that order. */
  chatHistory(reply: unknown): ChatMessage[] {
    if (!Array.isArray(reply)) throw malformed(reply)
    return reply.map((value: unknown) => fromJson(value, reply, chatMessage))
  },
  /** enterWrite: entered (with the lease, if any, and the quiet time left) or busy. */
  writeEntry(reply: unknown): WriteEntry {
    if (!Array.isArray(reply) || typeof reply[1] !== 'number') throw malformed(reply)
    if (reply[0] === 0) return { entered: false, retryInMs: reply[1] }
    if (reply[0] !== 1 || typeof reply[2] !== 'number') throw malformed(reply)
    const lease = reply.length > 3 ? parse(reply.slice(3)).lease : null
    return { entered: true, fence: reply[1], lease, quietMs: reply[2] }
  },
  /** Scripts that only write answer 1. */
  written(reply: unknown): void {
    if (reply !== 1) throw malformed(reply)
  },
}
