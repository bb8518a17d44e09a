/**
 * The Lua scripts of the Redis lock store, and the one place their replies become typed results.
 * Each script is one atomic step on Redis (no other command runs in between), which is what makes
 * "check the holder, then write" safe across processes. Headers in lua/*.lua document KEYS, ARGV
 * and replies; the file name carries the key count, as in BullMQ.
 *
 * The scripts are read once at module load, next to this module (the build copies lua/ to dist).
 */
import { readFileSync } from 'node:fs'
import type { ClaimResult, Lease, TransferResult } from './store.js'

interface ScriptDefinition {
  numberOfKeys: number
  lua: string
}

function load(file: string): ScriptDefinition {
  const keys = /-(\d+)\.lua$/.exec(file)
  if (!keys) throw new Error(`Lua script name must end with -<number of keys>.lua: ${file}`)
  return { numberOfKeys: Number(keys[1]), lua: readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8') }
}

/** Method names ioredis adds to the client; prefixed so they never shadow a Redis command (`get`). */
export const lockScripts = {
  lockClaim: load('claim-2.lua'),
  lockHeartbeat: load('heartbeat-1.lua'),
  lockRelease: load('release-1.lua'),
  lockExpireIn: load('expireIn-1.lua'),
  lockTransfer: load('transfer-2.lua'),
  lockGet: load('get-1.lua'),
} satisfies Record<string, ScriptDefinition>

export type LockScriptName = keyof typeof lockScripts

/** Reply codes, as the script headers define them. */
const ClaimCode = { denied: 0, granted: 1, renewed: 2 } as const
const Done = 1

function malformed(reply: unknown): Error {
  return new Error(`adminjs-collaborator: unexpected reply from a Redis lock script: ${JSON.stringify(reply)}`)
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

export const replies = {
  claim(reply: unknown): ClaimResult {
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
  /** release and expireIn: 1 done, 0 not the holder. */
  done(reply: unknown): boolean {
    if (reply !== 0 && reply !== 1) throw malformed(reply)
    return reply === Done
  },
}
