/**
 * The rules of src/store/store.ts (locks, presence, attention, saves, chat, rate limits), proven once and run against
 * both stores: MemoryStore, and RedisStore on the real redis-server the jest global setup started
 * (TEST_REDIS_URL). Expiry is awaited by polling with a timeout, never by sleeping a fixed time.
 */
import { randomUUID } from 'node:crypto'
import { Cluster, Redis } from 'ioredis'
import type { ChatMessage } from '../src/protocol.js'
import { conversationKey, recordKey } from '../src/store/keys.js'
import { MemoryStore } from '../src/store/memory-store.js'
import { RedisStore } from '../src/store/redis-store.js'
import {
  QueueRefusedError,
  StoreRecoveringError,
  LeaseEndedError,
  StoreUnavailableError,
  type AuditEvent,
  type AuditKind,
  type ChangeRecord,
  type Claimant,
  type Lease,
  type PresenceEntry,
  type QueueEntry,
  type SaveInfo,
  type Store,
} from '../src/store/store.js'
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.mjs'
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.mjs'

const redisUrl = (): string => {
  const url = process.env.TEST_REDIS_URL
  if (!url) throw new Error('TEST_REDIS_URL is not set: run through jest (its global setup starts redis-server)')
  return url
}

const connection = { maxRetryDelayMs: 200, retryDelayMs: 20, connectTimeoutMs: 1000, commandTimeoutMs: 1000 }

interface StoreHarness {
  name: string
  /**
   * Opens a store on `namespace`; stores opened on one namespace share their state (the memory
   * store's options are those of its first opening).
   */
  open(namespace: string, options?: { auditMaxEntries?: number; changeLogMaxEntries?: number }): Store
  /**
   * What the store sees when its data is lost (Redis restarted empty): every lease of `namespace`
   * gone and a restart-quiet period of `quietMs` started.
   */
  loseData(namespace: string, quietMs: number): Promise<void>
}

const memoryHarness = (): StoreHarness => {
  const stores = new Map<string, MemoryStore>()
  return {
    name: 'MemoryStore',
    open(namespace, options) {
      const store = stores.get(namespace) ?? new MemoryStore(options)
      stores.set(namespace, store)
      return store
    },
    async loseData(namespace, quietMs) {
      stores.get(namespace)?.simulateDataLoss(quietMs)
    },
  }
}

/**
 * RedisStore on `redis` (a URL, or a Cluster's node URLs). Losing data: the namespace's leases
 * deleted, and each store of the namespace starting its quiet period, as RedisStore.checkServer does
 * on seeing another run_id (the period is the store's own: a record's script sees no global key).
 */
const redisHarnessOn = (name: string, redis: () => string | string[]) => (): StoreHarness => {
  const stores = new Map<string, RedisStore[]>()
  return {
    name,
    open(namespace, options) {
      const store = new RedisStore({ redis: redis(), keyPrefix: namespace, connection, ...options })
      stores.set(namespace, [...(stores.get(namespace) ?? []), store])
      return store
    },
    async loseData(namespace, quietMs) {
      const where = redis()
      const raw = Array.isArray(where) ? new Cluster(where.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) }))) : new Redis(where)
      try {
        // A Cluster's keys are on its masters: each is asked, and each key deleted on its own slot.
        const servers = raw instanceof Cluster ? (await new Promise<void>((resolve) => raw.once('ready', () => resolve())), raw.nodes('master')) : [raw]
        for (const server of servers) for (const lease of await server.keys(`${namespace}lock:*`)) await raw.del(lease)
      } finally {
        await raw.quit()
      }
      for (const store of stores.get(namespace) ?? []) store.simulateDataLoss(quietMs)
    },
  }
}

const redisHarness = redisHarnessOn('RedisStore', redisUrl)

/** Polls `probe` until it returns something other than undefined; fails after `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Resolves on the store's next 'status' event with `available`; fails after `timeoutMs`. */
function nextStatus(store: RedisStore, available: boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      store.off('status', listener)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for status ${available}`))
    }, timeoutMs)
    const listener = (now: boolean) => {
      if (now !== available) return
      clearTimeout(timer)
      store.off('status', listener)
      resolve()
    }
    store.on('status', listener)
  })
}

/** A claimant; `userName` and `avatarUrl` go into its user (the one identity shape). */
const claimant = (userId: string, extra: { token?: string; userName?: string; avatarUrl?: string } = {}): Claimant => ({
  token: extra.token ?? randomUUID(),
  user: { id: userId, name: extra.userName ?? `User ${userId}`, ...(extra.avatarUrl ? { avatarUrl: extra.avatarUrl } : {}) },
})

const LONG = 60_000
/** An allowance no test reaches: the chat tests that are not about the rate limit. */
const UNLIMITED = { key: 'chat:unlimited', limit: 1_000_000, windowMs: LONG }

function expectHeldBy(lease: Lease | null, who: Claimant): Lease {
  expect(lease).not.toBeNull()
  expect(lease).toMatchObject({ token: who.token, user: { id: who.user.id, name: who.user.name } })
  return lease!
}

/** Record ids users can have; their record keys must all differ, and so must what is stored under them. */
function oddRecordKeys(): string[] {
  const uuid = randomUUID()
  const pairs: Array<[string, string]> = [
    ['posts', 'a:b'],
    ['posts:a', 'b'],
    ['posts', 'a'],
    ['posts', 'a/b'],
    ['posts/a', 'b'],
    ['posts', 'a%3Ab'],
    ['posts', 'a b'],
    ['posts', ''],
    ['posts', 'ünïcødé'],
    ['posts', '🔒'],
    ['posts', uuid],
    ['posts', uuid.toUpperCase()],
    ['Posts', 'a'],
    ['posts', 'lock:posts:a'],
  ]
  const keys = pairs.map(([resource, id]) => recordKey(resource, id))
  expect(new Set(keys).size).toBe(keys.length)
  return keys
}

/**
 * Registers the hooks that give each test a fresh namespace; the function returned opens a store
 * on it, closed after the test (stores opened in one test share their state).
 */
function useStores(
  makeHarness: () => StoreHarness,
): ((options?: { auditMaxEntries?: number; changeLogMaxEntries?: number }) => Promise<Store>) & { loseData(quietMs: number): Promise<void> } {
  let harness: StoreHarness
  let namespace: string
  let opened: Store[]

  beforeEach(() => {
    harness = makeHarness()
    namespace = `contract:${randomUUID()}:`
    opened = []
  })

  afterEach(async () => {
    await Promise.all(opened.map((store) => store.close()))
  })

  const open = async (options?: { auditMaxEntries?: number; changeLogMaxEntries?: number }) => {
    const store = harness.open(namespace, options)
    opened.push(store)
    await store.ready()
    return store
  }
  return Object.assign(open, { loseData: (quietMs: number) => harness.loseData(namespace, quietMs) })
}

function lockStoreContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)

  describe('claim', () => {
    test('a free record is granted with a fence, the claimant and a deadline', async () => {
      const { locks } = await open()
      const ann = claimant('ann', { avatarUrl: 'https://example.com/ann.png', userName: 'Ann Ünïcødé 🔒' })
      const before = Date.now()
      const result = await locks.claim('posts:1', ann, LONG)
      expect(result.granted).toBe(true)
      expect(result.granted && result.renewed).toBe(false)
      expect(result.lease).toMatchObject({ ...ann, fence: expect.any(Number) })
      expect(result.lease.sinceMs).toBeGreaterThanOrEqual(before)
      expect(result.lease.expiresAtMs).toBeGreaterThan(before + LONG - 1000)
      expect(await locks.get('posts:1')).toEqual({ ...result.lease, expiresAtMs: expect.any(Number) })
    })

    test('a lease without an avatar reads back without one', async () => {
      const { locks } = await open()
      await locks.claim('posts:1', claimant('ann'), LONG)
      expect((await locks.get('posts:1'))?.user.avatarUrl).toBeUndefined()
    })

    test('another claimant is denied and sees the holder', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const granted = await locks.claim('posts:1', ann, LONG)
      const denied = await locks.claim('posts:1', claimant('bob'), LONG)
      expect(denied.granted).toBe(false)
      expect(expectHeldBy(denied.lease, ann).fence).toBe(granted.lease.fence)
    })

    test('the same user in another tab (other token) is denied too', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      await locks.claim('posts:1', ann, LONG)
      const secondTab = await locks.claim('posts:1', claimant('ann'), LONG)
      expect(secondTab.granted).toBe(false)
      expectHeldBy(secondTab.lease, ann)
    })

    test('the same token and user renew: same fence and sinceMs, later deadline', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const first = await locks.claim('posts:1', ann, 1000)
      const again = await locks.claim('posts:1', ann, LONG)
      expect(again).toMatchObject({ granted: true, renewed: true })
      expect(again.lease.fence).toBe(first.lease.fence)
      expect(again.lease.sinceMs).toBe(first.lease.sinceMs)
      expect(again.lease.expiresAtMs).toBeGreaterThan(first.lease.expiresAtMs)
    })

    test('the same token with a different user id is denied', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      await locks.claim('posts:1', ann, LONG)
      const impostor = await locks.claim('posts:1', { ...claimant('mallory'), token: ann.token }, LONG)
      expect(impostor.granted).toBe(false)
      expectHeldBy(impostor.lease, ann)
    })
  })

  describe('heartbeat', () => {
    test('the holder extends its lease', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const { lease } = await locks.claim('posts:1', ann, 1000)
      const renewed = await locks.heartbeat('posts:1', ann, LONG)
      expect(renewed).toMatchObject({ ...ann, fence: lease.fence, sinceMs: lease.sinceMs })
      expect(renewed!.expiresAtMs).toBeGreaterThan(Date.now() + LONG - 1000)
    })

    test('anyone else gets null and changes nothing', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      await locks.claim('posts:1', ann, 5000)
      expect(await locks.heartbeat('posts:1', claimant('bob'), LONG)).toBeNull()
      const lease = expectHeldBy(await locks.get('posts:1'), ann)
      expect(lease.expiresAtMs).toBeLessThanOrEqual(Date.now() + 5000)
    })

    test('on a free record it is null', async () => {
      const { locks } = await open()
      expect(await locks.heartbeat('posts:1', { token: randomUUID(), user: { id: 'ann' } }, LONG)).toBeNull()
      expect(await locks.get('posts:1')).toBeNull()
    })
  })

  describe('release', () => {
    test('only the holder frees the record', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      await locks.claim('posts:1', ann, LONG)
      expect((await locks.release('posts:1', claimant('bob'))).released).toBe(false)
      expectHeldBy(await locks.get('posts:1'), ann)
      expect((await locks.release('posts:1', ann)).released).toBe(true)
      expect(await locks.get('posts:1')).toBeNull()
      expect((await locks.release('posts:1', ann)).released).toBe(false)
    })
  })

  describe('expiry', () => {
    test('a lease not renewed within its ttl frees the record for the next claimant', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const first = await locks.claim('posts:1', ann, 200)
      await eventually('the lease to end', async () => ((await locks.get('posts:1')) === null ? true : undefined))
      expect(await locks.heartbeat('posts:1', ann, LONG)).toBeNull()
      const next = await locks.claim('posts:1', claimant('bob'), LONG)
      expect(next).toMatchObject({ granted: true, renewed: false })
      expect(next.lease.fence).toBeGreaterThan(first.lease.fence)
    })
  })

  describe('expireIn (reconnect grace)', () => {
    test('the same claimant renews within the grace; others are denied meanwhile', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const { lease } = await locks.claim('posts:1', ann, LONG)
      expect(await locks.expireIn('posts:1', ann, 10_000)).toBe(true)
      expect((await locks.get('posts:1'))!.expiresAtMs).toBeLessThanOrEqual(Date.now() + 10_000)
      expect((await locks.claim('posts:1', claimant('bob'), LONG)).granted).toBe(false)
      const back = await locks.claim('posts:1', ann, LONG)
      expect(back).toMatchObject({ granted: true, renewed: true, lease: { fence: lease.fence } })
      expect(back.lease.expiresAtMs).toBeGreaterThan(Date.now() + LONG - 1000)
    })

    test('after the grace another claimant gets the record', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const bob = claimant('bob')
      const { lease } = await locks.claim('posts:1', ann, LONG)
      expect(await locks.expireIn('posts:1', ann, 150)).toBe(true)
      const taken = await eventually('bob to get the record', async () => {
        const result = await locks.claim('posts:1', bob, LONG)
        return result.granted ? result : undefined
      })
      expect(taken.lease.fence).toBeGreaterThan(lease.fence)
      expect((await locks.claim('posts:1', ann, LONG)).granted).toBe(false)
    })

    test('only the holder can shorten its lease', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      await locks.claim('posts:1', ann, LONG)
      expect(await locks.expireIn('posts:1', claimant('bob'), 0)).toBe(false)
      expect((await locks.get('posts:1'))!.expiresAtMs).toBeGreaterThan(Date.now() + LONG - 1000)
      expect(await locks.expireIn('posts:2', ann, 0)).toBe(false)
    })
  })

  describe('transfer', () => {
    test('same-user: takes a free record with a new fence', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const result = await locks.transfer('posts:1', { kind: 'same-user' }, ann, LONG)
      expect(result.transferred).toBe(true)
      expectHeldBy(result.lease, ann)
      expectHeldBy(await locks.get('posts:1'), ann)
    })

    test('same-user: takes over from another tab of the same user, which then has nothing', async () => {
      const { locks } = await open()
      const firstTab = claimant('ann', { avatarUrl: 'https://example.com/old.png' })
      const secondTab = claimant('ann')
      const { lease } = await locks.claim('posts:1', firstTab, LONG)
      const result = await locks.transfer('posts:1', { kind: 'same-user' }, secondTab, LONG)
      expect(result.transferred).toBe(true)
      expect(expectHeldBy(result.lease, secondTab).fence).toBeGreaterThan(lease.fence)
      expect(result.lease!.user.avatarUrl).toBeUndefined()
      expect(result.lease!.sinceMs).toBeGreaterThanOrEqual(lease.sinceMs)
      expect(await locks.heartbeat('posts:1', firstTab, LONG)).toBeNull()
      expect((await locks.release('posts:1', firstTab)).released).toBe(false)
    })

    test('same-user: refused while another user holds the record', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      await locks.claim('posts:1', bob, LONG)
      const result = await locks.transfer('posts:1', { kind: 'same-user' }, claimant('ann'), LONG)
      expect(result.transferred).toBe(false)
      expectHeldBy(result.lease, bob)
      expectHeldBy(await locks.get('posts:1'), bob)
    })

    test('holder: hands over only from exactly that tab of that user', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const ann = claimant('ann')
      const { lease } = await locks.claim('posts:1', bob, LONG)

      const wrong = await locks.transfer('posts:1', { kind: 'holder', holder: { token: randomUUID(), user: { id: 'bob' } } }, ann, LONG)
      expect(wrong.transferred).toBe(false)
      expectHeldBy(wrong.lease, bob)

      const right = await locks.transfer('posts:1', { kind: 'holder', holder: bob }, ann, LONG)
      expect(right.transferred).toBe(true)
      expect(expectHeldBy(right.lease, ann).fence).toBeGreaterThan(lease.fence)
      expectHeldBy(await locks.get('posts:1'), ann)
    })

    test('holder: refused on a free record', async () => {
      const { locks } = await open()
      const result = await locks.transfer('posts:1', { kind: 'holder', holder: { token: randomUUID(), user: { id: 'bob' } } }, claimant('ann'), LONG)
      expect(result).toMatchObject({ transferred: false, lease: null })
      expect(await locks.get('posts:1')).toBeNull()
    })

    test('unchanged: takes the lease the policy read, with a new fence, whoever holds it', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const ann = claimant('ann')
      const granted = await locks.claim('posts:1', bob, LONG)
      const read = expectHeldBy(granted.lease, bob)
      const taken = await locks.transfer('posts:1', { kind: 'unchanged', lease: read }, ann, LONG)
      expect(taken.transferred).toBe(true)
      expect(expectHeldBy(taken.lease, ann).fence).toBeGreaterThan(read.fence)
      expect(taken.revision).toBeGreaterThan(granted.revision)
      expect(await locks.heartbeat('posts:1', bob, LONG)).toBeNull()
      // The same read again is stale now: the lease it names is gone.
      expect((await locks.transfer('posts:1', { kind: 'unchanged', lease: read }, claimant('carol'), LONG)).transferred).toBe(false)
      expectHeldBy(await locks.get('posts:1'), ann)
    })

    test('unchanged: refused when the holder was active since the read, and the holder keeps it', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const read = (await locks.claim('posts:1', bob, LONG)).lease
      expect(await locks.touch('posts:1', bob, read.lastActiveMs + 1)).not.toBeNull()
      const refused = await locks.transfer('posts:1', { kind: 'unchanged', lease: read }, claimant('ann'), LONG)
      expect(refused.transferred).toBe(false)
      expect(expectHeldBy(refused.lease, bob)).toMatchObject({ fence: read.fence, lastActiveMs: read.lastActiveMs + 1 })
      // A read taken after the activity is current again.
      const again = (await locks.get('posts:1'))!
      expect((await locks.transfer('posts:1', { kind: 'unchanged', lease: again }, claimant('ann'), LONG)).transferred).toBe(true)
    })

    test('unchanged: refused when the lease read was released and granted again, even to the same tab', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const read = (await locks.claim('posts:1', bob, LONG)).lease
      await locks.release('posts:1', bob)
      const free = await locks.transfer('posts:1', { kind: 'unchanged', lease: read }, claimant('ann'), LONG)
      expect(free).toMatchObject({ transferred: false, lease: null })
      const regranted = (await locks.claim('posts:1', bob, LONG)).lease
      expect(regranted.fence).not.toBe(read.fence)
      // Same token, user and (possibly) activity time: only the fence tells the grants apart.
      const stale = await locks.transfer('posts:1', { kind: 'unchanged', lease: { ...read, lastActiveMs: regranted.lastActiveMs } }, claimant('ann'), LONG)
      expect(stale.transferred).toBe(false)
      expectHeldBy(await locks.get('posts:1'), bob)
    })

    test('unchanged: the token with another user, or another fence, takes nothing', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const read = (await locks.claim('posts:1', bob, LONG)).lease
      for (const lease of [
        { ...read, user: { id: 'mallory' } },
        { ...read, token: randomUUID() },
        { ...read, fence: read.fence + 1 },
        { ...read, lastActiveMs: read.lastActiveMs - 1 },
      ]) {
        expect((await locks.transfer('posts:1', { kind: 'unchanged', lease }, claimant('ann'), LONG)).transferred).toBe(false)
      }
      expect(expectHeldBy(await locks.get('posts:1'), bob).fence).toBe(read.fence)
    })

    test('unchanged: of 20 policies racing on one read, exactly one takes the lease', async () => {
      const stores = await Promise.all(Array.from({ length: 5 }, () => open()))
      const read = (await stores[0]!.locks.claim('posts:1', claimant('bob'), LONG)).lease
      const takers = Array.from({ length: 20 }, (_, i) => claimant(`user-${i}`))
      const results = await Promise.all(takers.map((to, i) => stores[i % stores.length]!.locks.transfer('posts:1', { kind: 'unchanged', lease: read }, to, LONG)))
      const won = results.filter((result) => result.transferred)
      expect(won).toHaveLength(1)
      expect((await stores[0]!.locks.get('posts:1'))!.token).toBe(won[0]!.lease!.token)
    })
  })

  describe('forceRelease', () => {
    test('frees the record whoever holds it, raises the revision, and says whose lease it was', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const granted = await locks.claim('posts:1', bob, LONG)
      const released = await locks.forceRelease('posts:1')
      expect(released.released).toBe(true)
      expect(expectHeldBy(released.lease, bob).fence).toBe(granted.lease.fence)
      expect(released.revision).toBeGreaterThan(granted.revision)
      expect(await locks.read('posts:1')).toEqual({ lease: null, revision: released.revision })
      expect(await locks.heartbeat('posts:1', bob, LONG)).toBeNull()
      // Nothing left to release: nothing changes.
      expect(await locks.forceRelease('posts:1')).toEqual({ released: false, lease: null, revision: released.revision })
    })

    test('with an expected token or fence, a lease granted since is left alone', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const ann = claimant('ann')
      const seen = (await locks.claim('posts:1', bob, LONG)).lease
      await locks.release('posts:1', bob)
      const now = (await locks.claim('posts:1', ann, LONG)).lease
      for (const expected of [{ token: seen.token }, { fence: seen.fence }, { token: now.token, fence: seen.fence }]) {
        const refused = await locks.forceRelease('posts:1', expected)
        expect(refused.released).toBe(false)
        expectHeldBy(refused.lease, ann)
      }
      expect(expectHeldBy(await locks.get('posts:1'), ann).fence).toBe(now.fence)
      const released = await locks.forceRelease('posts:1', { token: now.token, fence: now.fence })
      expect(released.released).toBe(true)
      expectHeldBy(released.lease, ann)
      expect(await locks.get('posts:1')).toBeNull()
    })

    test('the record can be claimed at once after it', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const { lease } = await locks.claim('posts:1', bob, LONG)
      await locks.forceRelease('posts:1', { fence: lease.fence })
      const next = await locks.claim('posts:1', claimant('ann'), LONG)
      expect(next).toMatchObject({ granted: true, renewed: false })
      expect(next.lease.fence).toBeGreaterThan(lease.fence)
    })
  })

  describe('readMany (a list page: many records, one call)', () => {
    test('reads each record as read would, in the order given, the same record twice included', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const bob = claimant('bob')
      await locks.claim('posts:1', ann, LONG)
      await locks.claim('posts:3', bob, LONG)
      const keys = ['posts:3', 'posts:2', 'posts:1', 'posts:3']
      const many = await locks.readMany(keys)
      const one = await Promise.all(keys.map((key) => locks.read(key)))
      // A free record's counter may not exist yet: its revision is read off the clock, so only held ones compare.
      const withoutDeadline = (snapshots: typeof many) => snapshots.map(({ lease, revision }) => ({ lease: lease && { ...lease, expiresAtMs: 0 }, revision: lease ? revision : 0 }))
      expect(withoutDeadline(many)).toEqual(withoutDeadline(one))
      expect(many.map(({ lease }) => lease?.user.id ?? null)).toEqual(['bob', null, 'ann', 'bob'])
      expect(await locks.readMany([])).toEqual([])
    })
  })

  describe('a lease someone else ended is not re-asserted', () => {
    const reassert = { reassert: true }

    test('after a forced release its holder re-asserting it is refused as ended, and the record stays free', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      await locks.claim('posts:1', bob, LONG)
      const released = await locks.forceRelease('posts:1')
      await expect(locks.claim('posts:1', bob, LONG, reassert)).rejects.toThrow(LeaseEndedError)
      expect(await locks.read('posts:1')).toEqual({ lease: null, revision: released.revision })
      // Anyone else (and the same tab asking again in person) may claim it as usual.
      expect((await locks.claim('posts:1', bob, LONG)).granted).toBe(true)
    })

    test('after a transfer away from it (a hand-over, a take-over) the old holder re-asserting it is refused as ended', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const ann = claimant('ann')
      const { lease } = await locks.claim('posts:1', bob, LONG)
      const taken = await locks.transfer('posts:1', { kind: 'unchanged', lease }, ann, LONG)
      expect(taken.transferred).toBe(true)
      await expect(locks.claim('posts:1', bob, LONG, reassert)).rejects.toThrow(LeaseEndedError)
      expectHeldBy(await locks.get('posts:1'), ann)
      // Without the mark, the same claim is an ordinary denial naming the holder.
      expect((await locks.claim('posts:1', claimant('carol'), LONG, reassert)).granted).toBe(false)
    })

    test('a lease that merely ran out is re-asserted as before', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      await locks.claim('posts:1', bob, 60)
      await eventually('the lease to end', async () => ((await locks.get('posts:1')) === null ? true : undefined))
      expect(await locks.claim('posts:1', bob, LONG, reassert)).toMatchObject({ granted: true, renewed: false })
    })

    test('a new ordinary grant to the same token ends the mark: its later re-assertion passes', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      await locks.claim('posts:1', bob, LONG)
      await locks.forceRelease('posts:1')
      await locks.claim('posts:1', bob, 60)
      await eventually('the lease to end', async () => ((await locks.get('posts:1')) === null ? true : undefined))
      expect(await locks.claim('posts:1', bob, LONG, reassert)).toMatchObject({ granted: true, renewed: false })
    })

    test('the mark is per token and per record: another tab, or another record, is not refused', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const bobsOtherTab = claimant('bob')
      await locks.claim('posts:1', bob, LONG)
      await locks.claim('posts:2', bob, 60)
      await locks.forceRelease('posts:1')
      expect((await locks.claim('posts:1', bobsOtherTab, LONG, reassert)).granted).toBe(true)
      await eventually('the lease to end', async () => ((await locks.get('posts:2')) === null ? true : undefined))
      expect((await locks.claim('posts:2', bob, LONG, reassert)).granted).toBe(true)
    })
  })

  describe('activity (touch)', () => {
    test('a lease is last active when granted; renewals, heartbeats and grace leave that as it is', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const { lease } = await locks.claim('posts:1', ann, LONG)
      expect(lease.lastActiveMs).toBe(lease.sinceMs)
      await locks.claim('posts:1', ann, LONG)
      await locks.heartbeat('posts:1', ann, LONG)
      await locks.expireIn('posts:1', ann, LONG)
      expect((await locks.get('posts:1'))!.lastActiveMs).toBe(lease.sinceMs)
    })

    test('the holder records activity: a later time moves lastActiveMs, an earlier one does not', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const granted = await locks.claim('posts:1', ann, LONG)
      const at = granted.lease.sinceMs + 5000
      expect((await locks.touch('posts:1', ann, at))?.lastActiveMs).toBe(at)
      expect((await locks.get('posts:1'))!.lastActiveMs).toBe(at)
      // A touch that arrives late is still the holder's (a lease back), and moves nothing back.
      expect((await locks.touch('posts:1', ann, at - 1000))?.lastActiveMs).toBe(at)
      const read = await locks.read('posts:1')
      expect(read.lease!.lastActiveMs).toBe(at)
      // Not a change anyone is told of: same revision, same fence, no later deadline.
      expect(read.revision).toBe(granted.revision)
      expect(read.lease!.fence).toBe(granted.lease.fence)
      expect(read.lease!.expiresAtMs).toBeLessThanOrEqual(granted.lease.expiresAtMs + 1000)
      expect((await locks.claim('posts:1', ann, LONG)).lease.lastActiveMs).toBe(at)
    })

    test('only the holder can: another user, its other tab, a leaked token and a free record get null', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const { lease } = await locks.claim('posts:1', ann, LONG)
      const later = lease.sinceMs + 60_000
      expect(await locks.touch('posts:1', claimant('bob'), later)).toBeNull()
      expect(await locks.touch('posts:1', claimant('ann'), later)).toBeNull()
      expect(await locks.touch('posts:1', { token: ann.token, user: { id: 'mallory' } }, later)).toBeNull()
      expect(await locks.touch('posts:2', ann, later)).toBeNull()
      expect((await locks.get('posts:1'))!.lastActiveMs).toBe(lease.sinceMs)
      expect(await locks.get('posts:2')).toBeNull()
    })

    test('the holder says whether its page has unsaved input; the latest report counts, and a new grant starts without', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const bob = claimant('bob')
      const { lease } = await locks.claim('posts:1', ann, LONG)
      expect(lease.unsaved).toBe(false)
      expect((await locks.touch('posts:1', ann, lease.sinceMs + 1, true))?.unsaved).toBe(true)
      // A touch without the flag (pointer moves) leaves it as it is.
      expect((await locks.touch('posts:1', ann, lease.sinceMs + 2))?.unsaved).toBe(true)
      expect((await locks.get('posts:1'))?.unsaved).toBe(true)
      expect((await locks.claim('posts:1', ann, LONG)).lease.unsaved).toBe(true)
      // Nobody else can set it.
      expect(await locks.touch('posts:1', { token: ann.token, user: { id: 'mallory' } }, lease.sinceMs + 3, false)).toBeNull()
      expect((await locks.get('posts:1'))?.unsaved).toBe(true)
      expect((await locks.touch('posts:1', ann, lease.sinceMs + 4, false))?.unsaved).toBe(false)
      await locks.touch('posts:1', ann, lease.sinceMs + 5, true)
      const moved = await locks.transfer('posts:1', { kind: 'holder', holder: ann }, bob, LONG)
      expect(moved.lease?.unsaved).toBe(false)
    })

    test('a new holder starts afresh: a transfer is last active when it happened', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const bob = claimant('bob')
      const { lease } = await locks.claim('posts:1', ann, LONG)
      await locks.touch('posts:1', ann, lease.sinceMs + 3_600_000)
      const moved = await locks.transfer('posts:1', { kind: 'holder', holder: ann }, bob, LONG)
      expect(moved.lease!.lastActiveMs).toBe(moved.lease!.sinceMs)
      expect(await locks.touch('posts:1', ann, lease.sinceMs + 7_200_000)).toBeNull()
    })
  })

  describe('list (every held record)', () => {
    test("lists every held record with its lease, oldest grant first; listFor only one user's", async () => {
      const { locks } = await open()
      const ann = claimant('ann', { avatarUrl: 'https://example.com/ann.png' })
      const bob = claimant('bob')
      expect(await locks.list()).toEqual([])
      const keys = [recordKey('posts', '1'), recordKey('posts', 'a:b'), recordKey('users', '🔒')]
      await locks.claim(keys[0]!, ann, LONG)
      // Distinct grant times, so the order is by grant and not by the tie-break.
      await eventually('the clock to move', async () => (Date.now() > (await locks.get(keys[0]!))!.sinceMs ? true : undefined))
      await locks.claim(keys[1]!, bob, LONG)
      await eventually('the clock to move', async () => (Date.now() > (await locks.get(keys[1]!))!.sinceMs ? true : undefined))
      await locks.claim(keys[2]!, claimant('ann'), LONG)
      const listed = await locks.list()
      expect(listed.map((one) => one.recordKey)).toEqual(keys)
      for (const one of listed) expect(one.lease).toEqual({ ...(await locks.get(one.recordKey))!, expiresAtMs: expect.any(Number) })
      expect(listed[0]!.lease).toMatchObject({ token: ann.token, user: ann.user })
      expect((await locks.listFor('ann')).map((one) => one.recordKey)).toEqual([keys[0], keys[2]])
      expect((await locks.listFor('bob')).map((one) => one.recordKey)).toEqual([keys[1]])
      expect(await locks.listFor('carol')).toEqual([])
    })

    test('a record leaves the list when released, forced free, shortened to nothing or run out; a transfer shows the new holder', async () => {
      const { locks } = await open()
      const [ann, bob, carol, dan, eve] = ['ann', 'bob', 'carol', 'dan', 'eve'].map((id) => claimant(id)) as [Claimant, Claimant, Claimant, Claimant, Claimant]
      await locks.claim('posts:1', ann, LONG)
      await locks.claim('posts:2', bob, LONG)
      await locks.claim('posts:3', carol, LONG)
      await locks.claim('posts:4', dan, 150)
      await locks.claim('posts:5', eve, LONG)
      await locks.claim('posts:6', ann, LONG)
      await locks.release('posts:1', ann)
      await locks.forceRelease('posts:2')
      await locks.expireIn('posts:3', carol, 0)
      await locks.transfer('posts:5', { kind: 'holder', holder: eve }, bob, LONG)
      await locks.transfer('posts:7', { kind: 'same-user' }, carol, LONG)
      await eventually('the short lease to end', async () => ((await locks.get('posts:4')) === null ? true : undefined))
      const listed = await locks.list()
      expect(listed.map((one) => one.recordKey).sort()).toEqual(['posts:5', 'posts:6', 'posts:7'])
      expectHeldBy(listed.find((one) => one.recordKey === 'posts:5')!.lease, bob)
      expect(await locks.listFor('eve')).toEqual([])
      // Renewed and shortened leases stay listed with their current deadline.
      await locks.expireIn('posts:6', ann, 10_000)
      expect((await locks.listFor('ann'))[0]!.lease.expiresAtMs).toBeLessThanOrEqual(Date.now() + 10_000)
    })

    test('records held through one store are listed through another, whatever their ids look like', async () => {
      const [first, second] = [await open(), await open()]
      const keys = oddRecordKeys()
      await Promise.all(keys.map((key, i) => (i % 2 ? first : second).locks.claim(key, claimant(`user-${i}`), LONG)))
      // On Redis the index is written by a command of its own, sent right after each claim's answer
      // on the claiming store's connection: another store's listing may run a moment before it.
      const listed = await eventually('every record listed', async () => {
        const found = await first.locks.list()
        return found.length === keys.length ? found : undefined
      })
      expect(listed.map((one) => one.recordKey).sort()).toEqual([...keys].sort())
      for (const one of listed) expect(one.lease.user.id).toBe(`user-${keys.indexOf(one.recordKey)}`)
    })
  })

  describe('revisions', () => {
    // Pages order what they hear about a record by these numbers, not by arrival.
    test('every grant, release and transfer raises the revision of the record; renewals and reads do not', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const bob = claimant('bob')
      const before = (await locks.read('posts:1')).revision
      const granted = await locks.claim('posts:1', ann, LONG)
      expect(granted.revision).toBeGreaterThan(before)
      const renewed = await locks.claim('posts:1', ann, LONG)
      expect(renewed.revision).toBe(granted.revision)
      expect((await locks.claim('posts:1', bob, LONG)).revision).toBe(granted.revision)
      expect((await locks.read('posts:1')).revision).toBe(granted.revision)
      const handedOver = await locks.transfer('posts:1', { kind: 'holder', holder: ann }, bob, LONG)
      expect(handedOver.revision).toBeGreaterThan(granted.revision)
      const released = await locks.release('posts:1', bob)
      expect(released).toMatchObject({ released: true })
      expect(released.revision).toBeGreaterThan(handedOver.revision)
      const read = await locks.read('posts:1')
      expect(read).toEqual({ lease: null, revision: released.revision })
      // A refused release changes nothing.
      expect(await locks.release('posts:1', bob)).toEqual({ released: false, revision: released.revision })
    })

    test('presence joins and leaves raise the same counter; a later change always has a larger revision than an earlier read', async () => {
      const { locks, presence } = await open()
      const key = recordKey('posts', 'rev')
      const seen: number[] = []
      seen.push((await presence.join(key, entry('ann'), LONG)).revision)
      seen.push((await locks.claim(key, claimant('ann'), LONG)).revision)
      const listed = (await presence.list(key)).revision
      expect(listed).toBe(seen[1])
      seen.push((await presence.join(key, entry('bob'), LONG)).revision)
      const { entries } = await presence.list(key)
      seen.push((await presence.leave(key, entries[0]!.id)).revision)
      for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!)
    })
  })

  describe('a leaked token without its user', () => {
    // The holder's token travels in every save's form body: another user who read it must still be
    // unable to renew, free, shorten or hand over that lease.
    test('renews, releases, shortens and hands over nothing', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const { lease } = await locks.claim('posts:1', ann, LONG)
      const mallory = { token: ann.token, user: { id: 'mallory' } }
      expect(await locks.heartbeat('posts:1', mallory, LONG)).toBeNull()
      expect((await locks.release('posts:1', mallory)).released).toBe(false)
      expect(await locks.expireIn('posts:1', mallory, 0)).toBe(false)
      const handOver = await locks.transfer('posts:1', { kind: 'holder', holder: mallory }, claimant('mallory'), LONG)
      expect(handOver.transferred).toBe(false)
      const still = expectHeldBy(await locks.get('posts:1'), ann)
      expect(still.fence).toBe(lease.fence)
      expect(still.expiresAtMs).toBeGreaterThan(Date.now() + LONG - 1000)
    })
  })

  test('fences strictly increase across every grant of a record; renewals keep theirs', async () => {
    // Per record: each record's fences are its own (on Redis one counter a record, one Cluster
    // slot), and every use of a fence (a transfer's 'unchanged', a forced release, a write) is of one record.
    const { locks } = await open()
    const ann = claimant('ann')
    const bob = claimant('bob')
    const fences = new Map<string, number[]>()
    const grant = async (key: string, result: Promise<{ lease: Lease | null }>) => {
      const { lease } = await result
      fences.set(key, [...(fences.get(key) ?? []), lease!.fence])
    }
    await grant('posts:1', locks.claim('posts:1', ann, LONG))
    await grant('posts:2', locks.claim('posts:2', bob, LONG))
    await grant('users:1', locks.claim('users:1', ann, LONG))
    expect((await locks.claim('posts:1', ann, LONG)).lease.fence).toBe(fences.get('posts:1')![0])
    await grant('posts:1', locks.transfer('posts:1', { kind: 'holder', holder: ann }, bob, LONG))
    await locks.release('posts:2', bob)
    await grant('posts:2', locks.claim('posts:2', ann, LONG))
    await grant('posts:3', locks.transfer('posts:3', { kind: 'same-user' }, ann, LONG))
    await grant('posts:3', locks.transfer('posts:3', { kind: 'same-user' }, claimant('ann'), LONG))
    await locks.forceRelease('posts:3')
    await grant('posts:3', locks.claim('posts:3', bob, LONG))
    for (const ofRecord of fences.values()) {
      expect(ofRecord.length).toBeGreaterThan(0)
      for (let i = 1; i < ofRecord.length; i++) expect(ofRecord[i]).toBeGreaterThan(ofRecord[i - 1]!)
    }
  })

  test('record ids with colons, slashes, unicode and UUIDs never share a lease', async () => {
    const { locks } = await open()
    const keys = oddRecordKeys()
    const holders = keys.map((_, i) => claimant(`user-${i}`))
    const results = await Promise.all(keys.map((key, i) => locks.claim(key, holders[i]!, LONG)))
    expect(results.every((result) => result.granted && !result.renewed)).toBe(true)
    for (const [i, key] of keys.entries()) expectHeldBy(await locks.get(key), holders[i]!)
  })

  test('50 concurrent claimers, 200 rounds: exactly one winner a round, fences strictly increasing', async () => {
    // Several stores on one namespace: for Redis, separate connections whose claims interleave.
    const stores = await Promise.all(Array.from({ length: 10 }, () => open()))
    const claimers = Array.from({ length: 50 }, (_, i) => ({ who: claimant(`user-${i % 7}`), locks: stores[i % stores.length]!.locks }))
    let lastFence = -Infinity
    for (let round = 0; round < 200; round++) {
      const results = await Promise.all(claimers.map(({ who, locks }) => locks.claim('posts:race', who, LONG)))
      const winners = results.filter((result) => result.granted)
      expect(winners).toHaveLength(1)
      const winner = winners[0]!.lease
      expect(winner.fence).toBeGreaterThan(lastFence)
      lastFence = winner.fence
      // Every loser saw the same holder: the one lease of this round.
      expect(results.every((result) => result.lease.fence === winner.fence && result.lease.token === winner.token)).toBe(true)
      expect((await stores[round % stores.length]!.locks.release('posts:race', winner)).released).toBe(true)
    }
  })
}

let entryCount = 0
/** A connection's presence entry; `sinceMs` defaults to a counter so arrival order is the call order. */
/** `userName` and `avatarUrl` go into the entry's user. */
const entry = (userId: string, { userName, avatarUrl, ...extra }: Partial<Omit<PresenceEntry, 'user'>> & { userName?: string; avatarUrl?: string } = {}): PresenceEntry => ({
  id: `socket-${randomUUID()}`,
  user: { id: userId, name: userName ?? `User ${userId}`, ...(avatarUrl ? { avatarUrl } : {}) },
  tabId: randomUUID(),
  intent: 'show',
  sinceMs: 1_700_000_000_000 + ++entryCount,
  ...extra,
})

function presenceContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)
  const key = recordKey('posts', '1')

  /** Lists until `accept` takes the list; the list it took. */
  const listUntil = (presence: Store['presence'], what: string, accept: (list: PresenceEntry[]) => boolean) =>
    eventually(what, async () => {
      const list = (await presence.list(key)).entries
      return accept(list) ? list : undefined
    })

  test('listMany lists each record as list would, in the order given', async () => {
    const { presence } = await open()
    const other = recordKey('posts', '2')
    const ann = entry('ann')
    const bob = entry('bob')
    await presence.join(key, ann, LONG)
    await presence.join(other, bob, LONG)
    await presence.join(other, ann, LONG)
    const many = await presence.listMany([other, recordKey('posts', 'empty'), key])
    // In order of arrival (the entries' sinceMs), as list gives them.
    expect(many.map((snapshot) => snapshot.entries)).toEqual([[ann, bob], [], [ann]])
    const one = await Promise.all([other, recordKey('posts', 'empty'), key].map((each) => presence.list(each)))
    expect(many.map((snapshot) => snapshot.entries)).toEqual(one.map((snapshot) => snapshot.entries))
    expect([many[0]!.revision, many[2]!.revision]).toEqual([one[0]!.revision, one[2]!.revision])
    expect(await presence.listMany([])).toEqual([])
  })

  describe('the index of viewed records', () => {
    test('lists what any process indexed, to every process, each record once', async () => {
      const first = await open()
      const second = await open()
      const other = recordKey('posts', 'with:colon/and space')
      await first.presence.index([key, other], LONG)
      await second.presence.index([key], LONG)
      await first.presence.index([], LONG)
      expect((await second.presence.indexed()).sort()).toEqual([key, other].sort())
      expect((await first.presence.indexed()).sort()).toEqual([key, other].sort())
    })

    test('a mark runs out after its ttl, but never before a longer one another process gave', async () => {
      const { presence } = await open()
      const short = recordKey('posts', 'short')
      await presence.index([key], LONG)
      await presence.index([key, short], 50)
      await eventually('the short mark to run out', async () => ((await presence.indexed()).includes(short) ? undefined : true))
      expect(await presence.indexed()).toEqual([key])
    })
  })

  test('join returns everyone present, the joiner included, and list agrees', async () => {
    const { presence } = await open()
    const ann = entry('ann', { avatarUrl: 'https://example.com/ann.png', userName: 'Ann Ünïcødé 👋', intent: 'edit' })
    const bob = entry('bob')
    expect((await presence.join(key, ann, LONG)).entries).toEqual([ann])
    expect((await presence.join(key, bob, LONG)).entries).toEqual([ann, bob])
    expect((await presence.list(key)).entries).toEqual([ann, bob])
    expect((await presence.list(key)).entries[1]!.user.avatarUrl).toBeUndefined()
    expect((await presence.list(recordKey('posts', '2'))).entries).toEqual([])
  })

  test('a second connection of the same user is a separate entry; leave removes only that one', async () => {
    const { presence } = await open()
    const firstTab = entry('ann')
    const secondTab = entry('ann')
    const bob = entry('bob')
    await presence.join(key, firstTab, LONG)
    await presence.join(key, secondTab, LONG)
    expect((await presence.join(key, bob, LONG)).entries).toEqual([firstTab, secondTab, bob])
    expect((await presence.leave(key, firstTab.id)).entries).toEqual([secondTab, bob])
    expect((await presence.leave(key, 'socket-never-joined')).entries).toEqual([secondTab, bob])
    expect((await presence.leave(key, firstTab.id)).entries).toEqual([secondTab, bob])
    expect((await presence.list(key)).entries).toEqual([secondTab, bob])
    await presence.leave(key, secondTab.id)
    expect((await presence.leave(key, bob.id)).entries).toEqual([])
    expect((await presence.list(key)).entries).toEqual([])
  })

  test('joining again with the same id refreshes the entry instead of adding one', async () => {
    const { presence } = await open()
    const ann = entry('ann')
    await presence.join(key, ann, LONG)
    const editing = { ...ann, intent: 'edit' as const }
    expect((await presence.join(key, editing, LONG)).entries).toEqual([editing])
  })

  test('the list is in arrival order: by sinceMs, then by id', async () => {
    const { presence } = await open()
    const third = entry('carol', { sinceMs: 3000 })
    const first = entry('ann', { sinceMs: 1000 })
    const tieB = entry('bob', { sinceMs: 2000, id: 'socket-b' })
    const tieA = entry('dan', { sinceMs: 2000, id: 'socket-a' })
    for (const one of [third, first, tieB, tieA]) await presence.join(key, one, LONG)
    expect((await presence.list(key)).entries).toEqual([first, tieA, tieB, third])
  })

  test('an entry not renewed within its ttl is dropped', async () => {
    const { presence } = await open()
    const ann = entry('ann')
    const bob = entry('bob')
    await presence.join(key, ann, 150)
    await presence.join(key, bob, LONG)
    await listUntil(presence, 'ann to be dropped', (list) => list.length === 1)
    expect((await presence.list(key)).entries).toEqual([bob])
    // Only a join brings it back.
    expect((await presence.join(key, ann, LONG)).entries).toEqual([ann, bob])
  })

  test('renew keeps entries alive and returns true exactly when it dropped someone', async () => {
    const { presence } = await open()
    const ann = entry('ann')
    const bob = entry('bob')
    await presence.join(key, ann, 150)
    await presence.join(key, bob, 300)
    const answers: boolean[] = []
    await eventually('a renewal that drops bob', async () => {
      const dropped = await presence.renew(key, [ann.id], 150)
      answers.push(dropped)
      return dropped ? true : undefined
    })
    // Renewed every few ms, ann outlived bob and her own first ttl; only the renewal that dropped
    // bob said so.
    expect(answers[0]).toBe(false)
    expect((await presence.list(key)).entries).toEqual([ann])
    expect(await presence.renew(key, [ann.id], 150)).toBe(false)
    expect(await presence.renew(key, [], 150)).toBe(false)
  })

  test('join and leave count the expired entries they dropped; a list drops none, so the next renew still reports them', async () => {
    const { presence } = await open()
    const ann = entry('ann')
    const bob = entry('bob')
    const carol = entry('carol')
    expect((await presence.join(key, ann, 150)).expired).toBe(0)
    expect((await presence.join(key, bob, LONG)).expired).toBe(0)
    await listUntil(presence, 'ann to be left out', (list) => list.length === 1)
    // Listing left her out but did not remove her: the renewal finds her expired and says so.
    expect((await presence.list(key)).entries).toEqual([bob])
    expect(await presence.renew(key, [bob.id], LONG)).toBe(true)
    expect(await presence.renew(key, [bob.id], LONG)).toBe(false)

    await presence.join(key, carol, 150)
    await listUntil(presence, 'carol to be left out', (list) => list.length === 1)
    const joined = await presence.join(key, ann, LONG)
    expect(joined.entries).toEqual([ann, bob])
    expect(joined.expired).toBe(1)
    expect((await presence.leave(key, ann.id)).expired).toBe(0)

    await presence.join(key, carol, 150)
    await listUntil(presence, 'carol to be left out again', (list) => list.length === 1)
    const left = await presence.leave(key, bob.id)
    expect(left.entries).toEqual([])
    expect(left.expired).toBe(1)
  })

  test('renew never brings back an entry that left or expired', async () => {
    const { presence } = await open()
    const ann = entry('ann')
    const bob = entry('bob')
    const carol = entry('carol')
    await presence.join(key, ann, LONG)
    await presence.join(key, bob, LONG)
    await presence.join(key, carol, 100)
    await presence.leave(key, ann.id)
    await listUntil(presence, 'carol to be left out', (list) => list.length === 1)
    // True: this renewal removes carol (the list only left her out), and brings back nobody.
    expect(await presence.renew(key, [ann.id, bob.id, carol.id, 'socket-never-joined'], LONG)).toBe(true)
    expect(await presence.renew(key, [ann.id, bob.id, carol.id], LONG)).toBe(false)
    expect((await presence.list(key)).entries).toEqual([bob])
    // Not on another record either.
    expect(await presence.renew(recordKey('posts', '2'), [bob.id], LONG)).toBe(false)
    expect((await presence.list(recordKey('posts', '2'))).entries).toEqual([])
  })

  test('record ids with colons, slashes, unicode and UUIDs never share presence', async () => {
    const { presence } = await open()
    const keys = oddRecordKeys()
    const entries = keys.map((_, i) => entry(`user-${i}`))
    await Promise.all(keys.map((one, i) => presence.join(one, entries[i]!, LONG)))
    for (const [i, one] of keys.entries()) expect((await presence.list(one)).entries).toEqual([entries[i]])
  })

  test('entries joined through one store are seen, renewed and removed through another', async () => {
    const [first, second] = [await open(), await open()]
    const ann = entry('ann')
    const bob = entry('bob')
    await first.presence.join(key, ann, 200)
    expect((await second.presence.join(key, bob, LONG)).entries).toEqual([ann, bob])
    expect(await second.presence.renew(key, [ann.id], LONG)).toBe(false)
    expect((await first.presence.leave(key, bob.id)).entries).toEqual([ann])
    expect((await second.presence.list(key)).entries).toEqual([ann])
  })
}

function attentionContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)
  const key = recordKey('posts', '1')

  describe('throttle', () => {
    test('lets the first request go, then answers the ms left until the interval has passed', async () => {
      const { attention } = await open()
      expect(await attention.throttle('ask:ann', 200)).toBe(0)
      const waits: number[] = []
      await eventually('the interval to pass', async () => {
        const left = await attention.throttle('ask:ann', 200)
        if (left === 0) return true
        waits.push(left)
        return undefined
      })
      expect(waits.length).toBeGreaterThan(0)
      for (const left of waits) {
        expect(left).toBeGreaterThan(0)
        expect(left).toBeLessThanOrEqual(200)
      }
      // That 0 started the next interval.
      expect(await attention.throttle('ask:ann', 200)).toBeGreaterThan(0)
    })

    test('keys are independent', async () => {
      const { attention } = await open()
      expect(await attention.throttle('ask:ann', LONG)).toBe(0)
      expect(await attention.throttle('ask:bob', LONG)).toBe(0)
      expect(await attention.throttle('ask:ann:2', LONG)).toBe(0)
      expect(await attention.throttle('ask:ann', LONG)).toBeGreaterThan(LONG - 1000)
    })

    test('of 50 concurrent requests on one key exactly one goes', async () => {
      const stores = await Promise.all(Array.from({ length: 10 }, () => open()))
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.attention.throttle('ask:race', LONG)))
      expect(answers.filter((left) => left === 0)).toHaveLength(1)
      expect(answers.every((left) => left === 0 || (left > 0 && left <= LONG))).toBe(true)
    })
  })

  describe('candidates', () => {
    test('a candidacy is taken once, with the claimant as it was put', async () => {
      const { attention } = await open()
      const ann = claimant('ann', { avatarUrl: 'https://example.com/ann.png', userName: 'Ann Ünïcødé' })
      const bob = claimant('bob')
      await attention.putCandidate(key, 'tab-ann', ann, LONG)
      await attention.putCandidate(key, 'tab-bob', bob, LONG)
      expect(await attention.takeCandidate(key, 'tab-ann')).toEqual(ann)
      expect(await attention.takeCandidate(key, 'tab-ann')).toBeNull()
      const taken = await attention.takeCandidate(key, 'tab-bob')
      expect(taken).toEqual(bob)
      expect(taken!.user.avatarUrl).toBeUndefined()
      expect(await attention.takeCandidate(key, 'tab-never-asked')).toBeNull()
    })

    test('asking again replaces the candidacy', async () => {
      const { attention } = await open()
      const first = claimant('ann')
      const again = claimant('ann')
      await attention.putCandidate(key, 'tab-ann', first, LONG)
      await attention.putCandidate(key, 'tab-ann', again, LONG)
      expect(await attention.takeCandidate(key, 'tab-ann')).toEqual(again)
      expect(await attention.takeCandidate(key, 'tab-ann')).toBeNull()
    })

    test('records and tab ids with colons never share a candidacy', async () => {
      const { attention } = await open()
      const places: Array<[string, string]> = [
        ['posts:a:b', 'c'],
        ['posts:a', 'b:c'],
        ['posts:a', 'b'],
        ['posts:b', 'c'],
        ['posts:a:b', ''],
      ]
      const asking = places.map((_, i) => claimant(`user-${i}`))
      await Promise.all(places.map(([record, tab], i) => attention.putCandidate(record, tab, asking[i]!, LONG)))
      for (const [i, [record, tab]] of places.entries()) expect(await attention.takeCandidate(record, tab)).toEqual(asking[i])
    })

    test('a candidacy ends with its ttl', async () => {
      const { attention, saves } = await open()
      await attention.putCandidate(key, 'tab-ann', claimant('ann'), 100)
      // Taking would consume it, so wait on a save put after it with the same ttl: once that one
      // has ended, so has the candidacy.
      await saves.recordSave(key, { user: { id: 'ann', name: 'Ann' }, atMs: 1, version: 'v1' }, 100)
      await eventually('the marker save to end', async () => ((await saves.lastSave(key)) === null ? true : undefined))
      expect(await attention.takeCandidate(key, 'tab-ann')).toBeNull()
    })
  })
}

function saveLogContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)
  const key = recordKey('posts', '1')
  const save = (userId: string, version: string): SaveInfo => ({ user: { id: userId, name: `User ${userId} ✓` }, atMs: Date.now(), version })

  test('the last save recorded is the one read back, per record', async () => {
    const { saves } = await open()
    expect(await saves.lastSave(key)).toBeNull()
    const first = save('ann', '2024-01-01T00:00:00.000Z')
    await saves.recordSave(key, first, LONG)
    expect(await saves.lastSave(key)).toEqual(first)
    const second = save('bob', 'v:2')
    await saves.recordSave(key, second, LONG)
    expect(await saves.lastSave(key)).toEqual(second)
    expect(await saves.lastSave(recordKey('posts', '2'))).toBeNull()
    expect(await saves.lastSave(recordKey('posts:1', ''))).toBeNull()
  })

  test('a save is forgotten after its ttl', async () => {
    const { saves } = await open()
    await saves.recordSave(key, save('ann', 'v1'), 150)
    expect(await saves.lastSave(key)).not.toBeNull()
    await eventually('the save to be forgotten', async () => ((await saves.lastSave(key)) === null ? true : undefined))
  })
}

let messageCount = 0
/** A chat message on posts/1; `atMs` grows with every call, so order is visible. */
const message = (from: string, text: string, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id: randomUUID(),
  resourceId: 'posts',
  recordId: '1',
  from: { id: from, name: `User ${from}` },
  to: null,
  text,
  atMs: 1_700_000_000_000 + ++messageCount,
  ...extra,
})

function chatContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)
  const everyone = conversationKey(recordKey('posts', '1'))

  test('history is oldest first, each message as it was appended', async () => {
    const { chat } = await open()
    expect(await chat.history(everyone, 100)).toEqual([])
    const sent = [
      message('ann', 'hello', { from: { id: 'ann', name: 'Ann Ünïcødé 🔒', avatarUrl: 'https://example.com/ann.png' } }),
      message('bob', '<b>markup</b> & "quotes" stay text\nover two lines'),
      message('ann', 'to bob only', { to: 'bob' }),
    ]
    for (const one of sent) await chat.append(everyone, one, 100, LONG, UNLIMITED)
    const history = await chat.history(everyone, 100)
    expect(history).toEqual(sent)
    expect(history[1]!.from.avatarUrl).toBeUndefined()
  })

  test('keeps only the newest `keep` messages; history gives the newest `limit`, oldest first', async () => {
    const { chat } = await open()
    const sent = Array.from({ length: 8 }, (_, i) => message('ann', `message ${i}`))
    for (const one of sent) await chat.append(everyone, one, 5, LONG, UNLIMITED)
    expect(await chat.history(everyone, 100)).toEqual(sent.slice(3))
    expect(await chat.history(everyone, 2)).toEqual(sent.slice(6))
  })

  test('a conversation ends ttlMs after its last message; every message renews it', async () => {
    const { chat } = await open()
    const renewed = conversationKey(recordKey('posts', '2'))
    const first = message('ann', 'first')
    const second = message('bob', 'second')
    await chat.append(renewed, first, 100, 150, UNLIMITED)
    await chat.append(everyone, message('ann', 'alone'), 100, 150, UNLIMITED)
    await chat.append(renewed, second, 100, LONG, UNLIMITED)
    await eventually('the conversation to end', async () => ((await chat.history(everyone, 100)).length === 0 ? true : undefined))
    // Its first ttl ended before that one did: only the second message kept it.
    expect(await chat.history(renewed, 100)).toEqual([first, second])
  })

  test("a message is stored exactly when its sender's allowance takes it: of 20 racing, `limit` are, across conversations", async () => {
    const { chat, limits } = await open()
    const allowance = { key: 'chat:ann', limit: 5, windowMs: LONG }
    const other = conversationKey(recordKey('posts', '2'))
    const sent = Array.from({ length: 20 }, (_, i) => message('ann', `racing ${i}`))
    const answers = await Promise.all(sent.map((one, i) => chat.append(i % 2 ? other : everyone, one, 100, LONG, allowance)))
    const stored = [...(await chat.history(everyone, 100)), ...(await chat.history(other, 100))]
    expect(answers.filter((left) => left === 0)).toHaveLength(5)
    for (const left of answers.filter((left) => left > 0)) expect(left).toBeLessThanOrEqual(LONG)
    // Exactly the allowed ones, each once; the refused ones nowhere.
    expect(stored.map((one) => one.text).sort()).toEqual(
      sent
        .filter((_, i) => answers[i] === 0)
        .map((one) => one.text)
        .sort(),
    )
    // It is the same allowance as the rate limiter's: nothing left there either.
    expect(await limits.hit('chat:ann', 5, LONG)).toBeGreaterThan(0)
  })

  test('conversations never share messages, whatever the ids look like', async () => {
    const { chat } = await open()
    const record = recordKey('posts', 'a:b')
    const keys = [
      conversationKey(record),
      conversationKey(recordKey('posts:a', 'b')),
      conversationKey(record, ['ann', 'bob']),
      conversationKey(record, ['ann', 'carol']),
      conversationKey(record, ['a:b', 'c']),
      conversationKey(record, ['a', 'b:c']),
      conversationKey(recordKey('posts', 'a'), ['b', 'ann']),
    ]
    expect(new Set(keys).size).toBe(keys.length)
    // Both people name the same one-to-one conversation.
    expect(conversationKey(record, ['bob', 'ann'])).toBe(keys[2])
    const sent = keys.map((_, i) => message(`user-${i}`, `in conversation ${i}`))
    await Promise.all(keys.map((key, i) => chat.append(key, sent[i]!, 100, LONG, UNLIMITED)))
    for (const [i, key] of keys.entries()) expect(await chat.history(key, 100)).toEqual([sent[i]])
  })

  test('messages appended through one store are read through another', async () => {
    const [first, second] = [await open(), await open()]
    const sent = [message('ann', 'one'), message('bob', 'two')]
    await first.chat.append(everyone, sent[0]!, 100, LONG, UNLIMITED)
    await second.chat.append(everyone, sent[1]!, 100, LONG, UNLIMITED)
    expect(await first.chat.history(everyone, 100)).toEqual(sent)
  })
}

/** A tab in a record's line: a claimant with the time it joined. */
const waiting = (userId: string, extra: { token?: string; userName?: string; avatarUrl?: string } = {}): QueueEntry => ({
  ...claimant(userId, extra),
  sinceMs: 1_700_000_000_000 + ++entryCount,
})

const waitingHolder = ({ token, user }: QueueEntry) => ({ token, user: { id: user.id } })

/** The refusal a claim met, or a failure when it was not refused by the line. */
async function refusedByLine(claim: Promise<unknown>): Promise<QueueRefusedError> {
  const error = await claim.then(
    (result) => new Error(`not refused: ${JSON.stringify(result)}`),
    (thrown: unknown) => thrown,
  )
  if (!(error instanceof QueueRefusedError)) throw error
  return error
}

function queueContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)
  const key = recordKey('posts', '1')
  /** Long turns unless a test is about their end. */
  const TURN = LONG

  describe('the line', () => {
    test('lists in arrival order with places; joining again keeps the place; joins and leaves raise the revision', async () => {
      const { queue } = await open()
      const ann = waiting('ann', { avatarUrl: 'https://example.com/ann.png', userName: 'Ann Ünïcødé' })
      const bob = waiting('bob')
      const carol = waiting('carol')
      expect(await queue.list(key)).toMatchObject({ entries: [], turnEndsAtMs: null })
      const first = await queue.join(key, ann, LONG, TURN)
      expect(first).toMatchObject({ joined: true, entries: [{ ...ann, position: 1 }], turnEndsAtMs: null })
      expect(first.entries[0]!.expiresAtMs).toBeGreaterThan(Date.now() + LONG - 1000)
      await queue.join(key, bob, LONG, TURN)
      const third = await queue.join(key, carol, LONG, TURN)
      expect(third.revision).toBeGreaterThan(first.revision)
      const again = await queue.join(key, { ...ann, sinceMs: ann.sinceMs + 1 }, LONG, TURN)
      expect(again.revision).toBeGreaterThan(third.revision)
      expect(again.entries.map((one) => [one.user.id, one.position])).toEqual([
        ['ann', 1],
        ['bob', 2],
        ['carol', 3],
      ])
      expect(again.entries[1]!.user.avatarUrl).toBeUndefined()
      const listed = await queue.list(key)
      expect(listed.entries).toEqual(again.entries.map((one) => ({ ...one, expiresAtMs: expect.any(Number) })))
      expect(listed.revision).toBe(again.revision)
      const left = await queue.leave(key, ann)
      expect(left).toMatchObject({
        left: true,
        entries: [
          { token: bob.token, position: 1 },
          { token: carol.token, position: 2 },
        ],
      })
      expect(left.revision).toBeGreaterThan(again.revision)
      expect(await queue.leave(key, ann)).toMatchObject({ left: false, revision: left.revision })
      expect((await queue.list(recordKey('posts', '2'))).entries).toEqual([])
    })

    test('a token alone proves nothing: another user can neither take its place nor take it out of line', async () => {
      const { queue } = await open()
      const ann = waiting('ann')
      await queue.join(key, ann, LONG, TURN)
      const impostor = await queue.join(key, { ...waiting('mallory'), token: ann.token }, LONG, TURN)
      expect(impostor.joined).toBe(false)
      expect(impostor.entries).toMatchObject([{ token: ann.token, user: { id: 'ann' } }])
      expect((await queue.leave(key, { token: ann.token, user: { id: 'mallory' } })).left).toBe(false)
      expect((await queue.list(key)).entries).toHaveLength(1)
    })

    test('an entry not renewed within its ttl leaves the line; renew keeps others and says when it dropped someone', async () => {
      const { queue } = await open()
      const ann = waiting('ann')
      const bob = waiting('bob')
      await queue.join(key, ann, 150, TURN)
      await queue.join(key, bob, 300, TURN)
      const answers: boolean[] = []
      await eventually('a renewal that drops bob', async () => {
        const dropped = await queue.renew(key, [ann.token], 150)
        answers.push(dropped)
        return dropped ? true : undefined
      })
      expect(answers[0]).toBe(false)
      expect((await queue.list(key)).entries).toMatchObject([{ token: ann.token, position: 1 }])
      // Renewing never brings back an entry that left.
      await queue.leave(key, ann)
      expect(await queue.renew(key, [ann.token, bob.token], LONG)).toBe(false)
      expect((await queue.list(key)).entries).toEqual([])
    })

    test("lines of records with colons, slashes, unicode and UUIDs never mix; one store sees another's", async () => {
      const [first, second] = [await open(), await open()]
      const keys = oddRecordKeys()
      const entries = keys.map((_, i) => waiting(`user-${i}`))
      await Promise.all(keys.map((one, i) => first.queue.join(one, entries[i]!, LONG, TURN)))
      for (const [i, one] of keys.entries()) expect((await second.queue.list(one)).entries).toMatchObject([{ token: entries[i]!.token, position: 1 }])
    })
  })

  describe('claims and the line', () => {
    test('a held record: the line only waits; the holder renews, others are denied as ever', async () => {
      const { locks, queue } = await open()
      const holder = claimant('holder')
      const { lease } = await locks.claim(key, holder, LONG)
      const ann = waiting('ann')
      await queue.join(key, ann, LONG, TURN)
      expect(await locks.claim(key, holder, LONG)).toMatchObject({ granted: true, renewed: true, lease: { fence: lease.fence } })
      const denied = await locks.claim(key, ann, LONG)
      expect(denied.granted).toBe(false)
      expectHeldBy(denied.lease, holder)
      expect((await queue.list(key)).turnEndsAtMs).toBeNull()
    })

    test('a free record with a line: only the first may claim; the others learn their place, and the first leaves the line with the lock', async () => {
      const { locks, queue } = await open()
      const ann = waiting('ann')
      const bob = waiting('bob')
      await queue.join(key, ann, LONG, TURN)
      await queue.join(key, bob, LONG, TURN)
      const refusedBob = await refusedByLine(locks.claim(key, bob, LONG))
      expect(refusedBob.refusal).toMatchObject({ position: 2, length: 2, first: { token: ann.token, user: ann.user, position: 1 } })
      expect(refusedBob.refusal.turnEndsAtMs).toBeGreaterThan(Date.now() + TURN - 1000)
      const outsider = await refusedByLine(locks.claim(key, claimant('carol'), LONG))
      expect(outsider.refusal).toMatchObject({ position: null, length: 2 })
      expect(await locks.get(key)).toBeNull()
      const granted = await locks.claim(key, ann, LONG)
      expect(granted).toMatchObject({ granted: true, renewed: false })
      expectHeldBy(granted.lease, ann)
      expect((await queue.list(key)).entries).toMatchObject([{ token: bob.token, position: 1 }])
      // Released again, bob is first now.
      await locks.release(key, ann)
      await refusedByLine(locks.claim(key, ann, LONG))
      expect((await locks.claim(key, bob, LONG)).granted).toBe(true)
      expect((await queue.list(key)).entries).toEqual([])
      // And with nobody in line the record is anyone's again.
      await locks.release(key, bob)
      expect((await locks.claim(key, claimant('carol'), LONG)).granted).toBe(true)
    })

    test("a refusal starts the first's turn (the revision says so); list shows it while the record is free", async () => {
      const { locks, queue } = await open()
      const ann = waiting('ann')
      const joined = await queue.join(key, ann, LONG, TURN)
      expect(joined.turnEndsAtMs).toBeNull()
      const refused = await refusedByLine(locks.claim(key, claimant('bob'), LONG))
      expect(refused.revision).toBeGreaterThan(joined.revision)
      const listed = await queue.list(key)
      expect(listed.revision).toBe(refused.revision)
      expect(listed.turnEndsAtMs).toBeGreaterThan(Date.now())
      expect(listed.turnEndsAtMs).toBeLessThanOrEqual(refused.refusal.turnEndsAtMs + 50)
      // A second refusal in the same turn changes nothing.
      const again = await refusedByLine(locks.claim(key, claimant('carol'), LONG))
      expect(again.revision).toBe(refused.revision)
    })

    test('a turn that ends unused drops the first; the next in line has theirs, and the one dropped is refused', async () => {
      const { locks, queue } = await open()
      const ann = waiting('ann')
      const bob = waiting('bob')
      await queue.join(key, ann, LONG, 150)
      await queue.join(key, bob, LONG, TURN)
      const carol = claimant('carol')
      expect((await refusedByLine(locks.claim(key, carol, LONG))).refusal.first.token).toBe(ann.token)
      const next = await eventually("ann's turn to end", async () => {
        const { refusal } = await refusedByLine(locks.claim(key, carol, LONG))
        return refusal.first.token === bob.token ? refusal : undefined
      })
      expect(next).toMatchObject({ position: null, length: 1 })
      expect((await refusedByLine(locks.claim(key, ann, LONG))).refusal.position).toBeNull()
      expect((await queue.list(key)).entries).toMatchObject([{ token: bob.token, position: 1 }])
      expect((await locks.claim(key, bob, LONG)).granted).toBe(true)
    })

    test('an entry of a tab that died (not renewed) stops blocking the record when its ttl ends', async () => {
      const { locks, queue } = await open()
      await queue.join(key, waiting('ann'), 150, TURN)
      const bob = claimant('bob')
      await refusedByLine(locks.claim(key, bob, LONG))
      const granted = await eventually('the entry to end', async () =>
        locks.claim(key, bob, LONG).then(
          (result) => result,
          (error: unknown) => {
            if (error instanceof QueueRefusedError) return undefined
            throw error
          },
        ),
      )
      expect(granted).toMatchObject({ granted: true })
    })

    test('any grant ends a running turn: when the record is free again, the first gets a new one', async () => {
      const { locks, queue } = await open()
      const ann = waiting('ann')
      await queue.join(key, ann, LONG, 150)
      const carol = claimant('carol')
      await refusedByLine(locks.claim(key, carol, LONG))
      // A holder from before the data loss re-asserts during ann's turn; ann stays first in line.
      const dan = claimant('dan')
      expect((await locks.claim(key, dan, LONG, { reassert: true })).granted).toBe(true)
      expect((await queue.list(key)).turnEndsAtMs).toBeNull()
      // Past the end of the turn that ran, on a marker lease of the same length.
      await locks.claim(recordKey('posts', 'marker'), claimant('m'), 150)
      await eventually('the marker lease to end', async () => ((await locks.get(recordKey('posts', 'marker'))) === null ? true : undefined))
      await locks.release(key, dan)
      // That turn ended while the record was held: it is not counted against ann.
      const refused = await refusedByLine(locks.claim(key, carol, LONG))
      expect(refused.refusal).toMatchObject({ first: { token: ann.token }, length: 1 })
      expect(refused.refusal.turnEndsAtMs).toBeGreaterThan(Date.now())
      expect((await locks.claim(key, ann, LONG)).granted).toBe(true)
    })

    test('a leaked token of the first, with another user, is refused, not granted', async () => {
      const { locks, queue } = await open()
      const ann = waiting('ann')
      await queue.join(key, ann, LONG, TURN)
      const refused = await refusedByLine(locks.claim(key, { ...claimant('mallory'), token: ann.token }, LONG))
      expect(refused.refusal.position).toBeNull()
      expect((await locks.claim(key, ann, LONG)).granted).toBe(true)
    })

    test('a re-assertion, a hand-over and a take-over by policy pass the line; each new holder leaves it', async () => {
      const { locks, queue } = await open()
      const ann = waiting('ann')
      const bob = waiting('bob')
      const carol = waiting('carol')
      await queue.join(key, ann, LONG, TURN)
      await queue.join(key, bob, LONG, TURN)
      await queue.join(key, carol, LONG, TURN)
      const dan = claimant('dan')
      expect((await locks.claim(key, dan, LONG, { reassert: true })).granted).toBe(true)
      expect((await locks.transfer(key, { kind: 'holder', holder: dan }, carol, LONG)).transferred).toBe(true)
      const read = (await locks.get(key))!
      expect((await locks.transfer(key, { kind: 'unchanged', lease: read }, bob, LONG)).transferred).toBe(true)
      expect((await queue.list(key)).entries).toMatchObject([{ token: ann.token, position: 1 }])
    })

    test('same-user transfer of a free record waits its turn like a claim', async () => {
      const { locks, queue } = await open()
      const ann = waiting('ann')
      await queue.join(key, ann, LONG, TURN)
      const refused = await locks.transfer(key, { kind: 'same-user' }, claimant('bob'), LONG)
      expect(refused).toMatchObject({ transferred: false, lease: null, queued: { position: null, length: 1, first: { token: ann.token } } })
      const taken = await locks.transfer(key, { kind: 'same-user' }, ann, LONG)
      expect(taken.transferred).toBe(true)
      expect((await queue.list(key)).entries).toEqual([])
    })

    test('20 claimers racing for a freed record, 4 of them in line: only the first in line wins, 20 rounds', async () => {
      const stores = await Promise.all(Array.from({ length: 5 }, () => open()))
      for (let round = 0; round < 20; round++) {
        const raceKey = recordKey('posts', `race-${round}`)
        const claimers = Array.from({ length: 20 }, (_, i) => waiting(`user-${i}`))
        const inLine = [7, 3, 15, 0].map((i) => claimers[i]!)
        for (const one of inLine) await stores[0]!.queue.join(raceKey, one, LONG, TURN)
        const results = await Promise.allSettled(claimers.map((one, i) => stores[i % stores.length]!.locks.claim(raceKey, one, LONG)))
        const won = results.flatMap((result) => (result.status === 'fulfilled' && result.value.granted ? [result.value] : []))
        expect(won).toHaveLength(1)
        expect(won[0]!.lease.token).toBe(inLine[0]!.token)
        // The rest met the line before the winner's claim, or its lease after.
        const refusals = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))
        const denials = results.flatMap((result) => (result.status === 'fulfilled' && !result.value.granted ? [result.value] : []))
        expect(refusals.length + denials.length).toBe(19)
        expect(refusals.every((reason) => reason instanceof QueueRefusedError && reason.refusal.first.token === inLine[0]!.token)).toBe(true)
        expect(denials.every((denied) => denied.lease.token === inLine[0]!.token)).toBe(true)
        expect((await stores[1]!.queue.list(raceKey)).entries.map((one) => one.token)).toEqual(inLine.slice(1).map((one) => one.token))
      }
    })
  })
}

let auditCount = 0
/** An audit event on posts/1 by default; `atMs` grows with every call. */
const auditEvent = (kind: AuditKind, userId: string, extra: Partial<AuditEvent> = {}): AuditEvent => ({
  atMs: 1_700_000_000_000 + ++auditCount,
  kind,
  recordKey: recordKey('posts', '1'),
  resourceId: 'posts',
  recordId: '1',
  user: { id: userId, name: `User ${userId}` },
  ...extra,
})

function changeLogContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)
  const change = (recordId: string, extra: Partial<ChangeRecord> = {}): ChangeRecord => ({
    atMs: 1_700_000_000_000,
    kind: 'updated',
    resourceId: 'posts',
    recordId,
    title: `Post ${recordId}`,
    resourceName: 'Posts',
    by: { id: 'ann', name: 'Ann' },
    fields: ['title'],
    ...extra,
  })

  test('lists newest first, as appended, each with a growing id, only of the resources asked for', async () => {
    const { changes } = await open()
    const first = await open()
    const appended = [
      change('1', { by: { id: 'ann', name: 'Ann Ünïcødé ✏️', avatarUrl: 'https://example.com/ann.png' }, fields: ['title', 'body.0.text'] }),
      change('2', { resourceId: 'secrets', resourceName: 'Secrets', kind: 'created' }),
      change('a:b/c', { kind: 'deleted', fields: [] }),
    ]
    const ids: string[] = []
    for (const one of appended) ids.push(await changes.append(one))
    expect(new Set(ids).size).toBe(3)
    // Another process sharing the store reads the same log.
    const listed = await first.changes.recent({ resourceIds: ['posts', 'secrets'], limit: 10 })
    expect(listed).toEqual(appended.map((one, i) => ({ ...one, id: ids[i] })).reverse())
    expect(await changes.recent({ resourceIds: ['posts'], limit: 10 })).toEqual([listed[0], listed[2]])
    expect(await changes.recent({ resourceIds: [], limit: 10 })).toEqual([])
    expect(await changes.recent({ resourceIds: ['nothing'], limit: 10 })).toEqual([])
    expect(await changes.recent({ resourceIds: ['posts', 'secrets'], limit: 1, before: listed[0]!.id })).toEqual([listed[1]])
  })

  test('keeps about the newest changeLogMaxEntries, never fewer', async () => {
    const { changes } = await open({ changeLogMaxEntries: 5 })
    for (let i = 0; i < 400; i++) await changes.append(change(String(i)))
    const kept = await changes.recent({ resourceIds: ['posts'], limit: 1000 })
    expect(kept.length).toBeGreaterThanOrEqual(5)
    expect(kept.length).toBeLessThan(400)
    expect(kept[0]!.recordId).toBe('399')
  })

  test('a malformed change is refused, nothing stored; a bad page id is refused', async () => {
    const { changes } = await open()
    await expect(changes.append({ ...change('1'), kind: 'renamed' } as never)).rejects.toThrow(TypeError)
    await expect(changes.append({ ...change('1'), fields: 'title' } as never)).rejects.toThrow(TypeError)
    expect(await changes.recent({ resourceIds: ['posts'], limit: 10 })).toEqual([])
    await expect(changes.recent({ resourceIds: ['posts'], limit: 10, before: 'not an id' })).rejects.toThrow(RangeError)
    await expect(changes.recent({ resourceIds: ['posts'], limit: 0 })).rejects.toThrow(RangeError)
  })
}

function tokenLedgerContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)

  test('a token id is spent once, on every process; another id is not', async () => {
    const first = await open()
    const second = await open()
    const id = randomUUID()
    expect(await first.tokens.spend(id, LONG)).toBe(true)
    expect(await second.tokens.spend(id, LONG)).toBe(false)
    expect(await first.tokens.spend(id, LONG)).toBe(false)
    expect(await second.tokens.spend(randomUUID(), LONG)).toBe(true)
  })

  test('once its time is over the id is forgotten (the token is refused as expired by then anyway)', async () => {
    const { tokens } = await open()
    const id = randomUUID()
    expect(await tokens.spend(id, 50)).toBe(true)
    await eventually('the spent id to be forgotten', async () => ((await tokens.spend(id, 50)) ? true : undefined))
  })
}

function auditContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)

  test('lists newest first, each event as appended, with its id', async () => {
    const { audit } = await open()
    expect(await audit.list({ limit: 10 })).toEqual([])
    const events = [
      auditEvent('granted', 'ann', { user: { id: 'ann', name: 'Ann Ünïcødé 🔒', avatarUrl: 'https://example.com/ann.png' } }),
      auditEvent('force-released', 'ann', { by: { id: 'root', name: 'Root' }, reason: 'admin: "gone home"' }),
      auditEvent('save-refused-stale', 'bob', { recordKey: recordKey('posts', 'a:b'), recordId: 'a:b' }),
    ]
    const ids: string[] = []
    for (const event of events) ids.push(await audit.append(event))
    expect(new Set(ids).size).toBe(3)
    const listed = await audit.list({ limit: 10 })
    expect(listed).toEqual(events.map((event, i) => ({ ...event, id: ids[i] })).reverse())
    expect(listed[2]!.user.avatarUrl).toBe('https://example.com/ann.png')
    expect('by' in listed[0]! || 'reason' in listed[0]!).toBe(false)
    expect(await audit.list({ limit: 2 })).toEqual(listed.slice(0, 2))
  })

  test('filters by record, by user (as the one concerned or the one who acted), both, and pages with `before`', async () => {
    const { audit } = await open()
    const other = recordKey('posts', '2')
    const appended = [
      auditEvent('granted', 'ann'),
      auditEvent('granted', 'bob', { recordKey: other, recordId: '2' }),
      auditEvent('taken-over', 'ann', { by: { id: 'bob', name: 'Bob' }, reason: 'idle' }),
      auditEvent('released', 'bob', { recordKey: other, recordId: '2' }),
      auditEvent('idle-released', 'carol'),
    ]
    for (const event of appended) await audit.append(event)
    const kinds = async (query: Parameters<Store['audit']['list']>[0]) => (await audit.list(query)).map((entry) => `${entry.kind}:${entry.user.id}`)
    expect(await kinds({ limit: 10, recordKey: other })).toEqual(['released:bob', 'granted:bob'])
    expect(await kinds({ limit: 10, userId: 'bob' })).toEqual(['released:bob', 'taken-over:ann', 'granted:bob'])
    expect(await kinds({ limit: 10, userId: 'bob', recordKey: recordKey('posts', '1') })).toEqual(['taken-over:ann'])
    expect(await kinds({ limit: 10, userId: 'dan' })).toEqual([])
    const firstPage = await audit.list({ limit: 2 })
    const secondPage = await audit.list({ limit: 2, before: firstPage[1]!.id })
    const lastPage = await audit.list({ limit: 2, before: secondPage[1]!.id })
    expect([...firstPage, ...secondPage, ...lastPage].map((entry) => entry.kind)).toEqual(appended.map((event) => event.kind).reverse())
    expect(await audit.list({ limit: 2, before: lastPage[0]!.id })).toEqual([])
  })

  test('finds the few matches of a long log', async () => {
    const { audit } = await open()
    for (let i = 0; i < 1200; i++) await audit.append(auditEvent('granted', i % 400 === 7 ? 'rare' : 'common'))
    const rare = await audit.list({ limit: 10, userId: 'rare' })
    expect(rare).toHaveLength(3)
    expect(rare.map((entry) => entry.atMs)).toEqual([...rare.map((entry) => entry.atMs)].sort((a, b) => b - a))
    expect(await audit.list({ limit: 2, userId: 'rare', before: rare[1]!.id })).toEqual([rare[2]])
  })

  test('keeps about its newest `auditMaxEntries`, never fewer', async () => {
    const { audit } = await open({ auditMaxEntries: 100 })
    const atMs: number[] = []
    for (let i = 0; i < 450; i++) {
      const event = auditEvent('granted', 'ann')
      atMs.push(event.atMs)
      await audit.append(event)
    }
    const kept = await audit.list({ limit: 1000 })
    // Redis trims whole stream nodes (MAXLEN ~, 100 entries a node by default): some more may stay.
    expect(kept.length).toBeGreaterThanOrEqual(100)
    expect(kept.length).toBeLessThanOrEqual(200)
    expect(kept.map((entry) => entry.atMs)).toEqual(atMs.slice(-kept.length).reverse())
  })

  test('an event of another shape is refused, and nothing is stored', async () => {
    const { audit } = await open()
    const bad = [
      { ...auditEvent('granted', 'ann'), kind: 'stolen' },
      { ...auditEvent('granted', 'ann'), atMs: Number.NaN },
      { ...auditEvent('granted', 'ann'), user: { id: 'ann' } },
      { ...auditEvent('granted', 'ann'), by: { name: 'nobody' } },
      { ...auditEvent('granted', 'ann'), recordKey: undefined },
    ] as unknown as AuditEvent[]
    for (const event of bad) await expect(audit.append(event)).rejects.toThrow(TypeError)
    expect(await audit.list({ limit: 10 })).toEqual([])
    // Extra fields are not stored.
    await audit.append({ ...auditEvent('released', 'ann'), secret: 'x', user: { id: 'ann', name: 'Ann', password: 'y' } } as AuditEvent)
    const [stored] = await audit.list({ limit: 1 })
    expect(stored).not.toHaveProperty('secret')
    expect(stored!.user).toEqual({ id: 'ann', name: 'Ann' })
  })

  test('events appended through one store are listed through another', async () => {
    const [first, second] = [await open(), await open()]
    await first.audit.append(auditEvent('granted', 'ann'))
    await second.audit.append(auditEvent('released', 'ann'))
    expect((await first.audit.list({ limit: 10 })).map((entry) => entry.kind)).toEqual(['released', 'granted'])
  })
}

function rateLimitContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)

  test('counts `limit` events a window, then answers the ms left without counting; a new window starts afresh', async () => {
    const { limits } = await open()
    for (let i = 0; i < 3; i++) expect(await limits.hit('chat:ann', 3, 200)).toBe(0)
    const waits: number[] = []
    await eventually('the window to end', async () => {
      const left = await limits.hit('chat:ann', 3, 200)
      if (left === 0) return true
      waits.push(left)
      return undefined
    })
    expect(waits.length).toBeGreaterThan(0)
    for (const left of waits) {
      expect(left).toBeGreaterThan(0)
      expect(left).toBeLessThanOrEqual(200)
    }
    // Refused events did not count, and did not push the window out: that 0 was the first of a
    // new window, which takes two more.
    expect(await limits.hit('chat:ann', 3, 200)).toBe(0)
    expect(await limits.hit('chat:ann', 3, 200)).toBe(0)
    expect(await limits.hit('chat:ann', 3, 200)).toBeGreaterThan(0)
  })

  test('keys are independent', async () => {
    const { limits } = await open()
    expect(await limits.hit('chat:ann', 1, LONG)).toBe(0)
    expect(await limits.hit('chat:bob', 1, LONG)).toBe(0)
    expect(await limits.hit('chat:ann:2', 1, LONG)).toBe(0)
    expect(await limits.hit('chat:ann', 1, LONG)).toBeGreaterThan(LONG - 1000)
  })

  test('of 50 concurrent hits on one key exactly `limit` pass; the rest learn when to retry', async () => {
    const stores = await Promise.all(Array.from({ length: 10 }, () => open()))
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => stores[i % stores.length]!.limits.hit('chat:race', 7, LONG)))
    expect(answers.filter((left) => left === 0)).toHaveLength(7)
    expect(answers.filter((left) => left > 0 && left <= LONG)).toHaveLength(43)
  })
}

function writeSectionContract(makeHarness: () => StoreHarness): void {
  const open = useStores(makeHarness)
  const key = recordKey('posts', '1')

  test('one writer at a time: a second entry waits until the first leaves', async () => {
    const { writes } = await open()
    const first = await writes.enter(key, LONG)
    if (!first.entered) throw new Error('a free section was not entered')
    expect(first).toMatchObject({ lease: null, quietMs: 0 })
    const second = await writes.enter(key, LONG)
    expect(second.entered).toBe(false)
    if (!second.entered) expect(second.retryInMs).toBeGreaterThan(0)
    expect((await writes.enter(recordKey('posts', '2'), LONG)).entered).toBe(true)
    expect(await writes.leave(key, first.fence)).toBe(true)
    const third = await writes.enter(key, LONG)
    if (!third.entered) throw new Error('a left section was not entered again')
    expect(third.fence).toBeGreaterThan(first.fence)
  })

  test("entering reads the record's lease in the same step", async () => {
    const store = await open()
    const ann = claimant('ann')
    await store.locks.claim(key, ann, LONG)
    const entry = await store.writes.enter(key, LONG)
    if (!entry.entered) throw new Error('not entered')
    expectHeldBy(entry.lease, ann)
  })

  test('a section ends by itself after its ttl, and a late leave then frees nobody', async () => {
    const { writes } = await open()
    const crashed = await writes.enter(key, 100)
    if (!crashed.entered) throw new Error('not entered')
    const next = await eventually('the section to end', async () => {
      const entry = await writes.enter(key, LONG)
      return entry.entered ? entry : undefined
    })
    expect(await writes.leave(key, crashed.fence)).toBe(false)
    expect((await writes.enter(key, LONG)).entered).toBe(false)
    expect(await writes.leave(key, next.fence)).toBe(true)
  })

  test('50 writers racing for one section, 100 rounds: exactly one inside a round', async () => {
    const { writes } = await open()
    for (let round = 0; round < 100; round++) {
      const entries = await Promise.all(Array.from({ length: 50 }, () => writes.enter(key, LONG)))
      const inside = entries.filter((entry) => entry.entered)
      expect(inside).toHaveLength(1)
      if (inside[0]?.entered) expect(await writes.leave(key, inside[0].fence)).toBe(true)
    }
  })

  test('after the data is lost, entering says the quiet period runs, and no new lock is granted in it', async () => {
    const store = await open()
    const ann = claimant('ann')
    await store.locks.claim(key, ann, LONG)
    await open.loseData(5000)
    const entry = await store.writes.enter(key, LONG)
    if (!entry.entered) throw new Error('not entered')
    expect(entry.lease).toBeNull()
    expect(entry.quietMs).toBeGreaterThan(0)
    await expect(store.locks.claim(key, claimant('bob'), LONG)).rejects.toThrow(StoreRecoveringError)
    await expect(store.locks.transfer(key, { kind: 'same-user' }, claimant('bob'), LONG)).resolves.toMatchObject({ transferred: false })
    // The holder from before re-asserts; the next entry sees its lease.
    await store.locks.claim(key, ann, LONG, { reassert: true })
    await store.writes.leave(key, entry.fence)
    const after = await store.writes.enter(key, LONG)
    if (!after.entered) throw new Error('not entered')
    expectHeldBy(after.lease, ann)
  })
}

/** Every contract of the store's interface, against one kind of store. */
function storeContracts(makeHarness: () => StoreHarness): void {
  describe('lock contract', () => lockStoreContract(makeHarness))
  describe('presence contract', () => presenceContract(makeHarness))
  describe('queue contract', () => queueContract(makeHarness))
  describe('audit contract', () => auditContract(makeHarness))
  describe('change log contract', () => changeLogContract(makeHarness))
  describe('token ledger contract', () => tokenLedgerContract(makeHarness))
  describe('attention contract', () => attentionContract(makeHarness))
  describe('save log contract', () => saveLogContract(makeHarness))
  describe('chat contract', () => chatContract(makeHarness))
  describe('rate limit contract', () => rateLimitContract(makeHarness))
  describe('write section contract', () => writeSectionContract(makeHarness))
}

describe.each([
  ['MemoryStore', memoryHarness],
  ['RedisStore', redisHarness],
])('%s', (_name, makeHarness) => storeContracts(makeHarness))

/**
 * The same contracts on a Redis Cluster of three masters this file starts: every script must keep
 * to one slot (Redis refuses one that does not, CROSSSLOT), and what spans records (the indexes,
 * readMany, a chat message's allowance) goes to each record's node apart.
 */
describe('RedisStore on a cluster', () => {
  let cluster: RedisCluster | undefined
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 })
  }, 200_000)
  afterAll(async () => {
    await cluster?.stop()
  })
  storeContracts(
    redisHarnessOn('RedisStore on a cluster', () => {
      if (!cluster) throw new Error('the cluster did not start')
      return cluster.urls
    }),
  )
})

describe('RedisStore: keys', () => {
  let namespace: string
  let store: RedisStore
  let raw: Redis

  beforeEach(async () => {
    namespace = `contract:${randomUUID()}:`
    store = new RedisStore({ redis: redisUrl(), keyPrefix: namespace, connection })
    raw = new Redis(redisUrl())
    await store.ready()
  })

  afterEach(async () => {
    await store.close()
    await raw.quit()
  })

  test("a record's presence keys live as long as its longest entry, then vanish untouched", async () => {
    const key = recordKey('posts', '1')
    const presenceKeys = [`${namespace}presence:{${key}}`, `${namespace}presence-data:{${key}}`]
    const ann = entry('ann')
    await store.presence.join(key, ann, 200)
    await store.presence.join(key, entry('bob'), 100)
    for (const name of presenceKeys) {
      const left = await raw.pttl(name)
      expect(left).toBeGreaterThan(100)
      expect(left).toBeLessThanOrEqual(200)
    }
    expect(await store.presence.renew(key, [ann.id, 'socket-never-joined'], 400)).toBe(false)
    for (const name of presenceKeys) expect(await raw.pttl(name)).toBeGreaterThan(200)
    // Renewing an id that is not there leaves no trace either.
    expect(await raw.zscore(presenceKeys[0]!, 'socket-never-joined')).toBeNull()
    await eventually('the keys to vanish', async () => ((await raw.exists(...presenceKeys)) === 0 ? true : undefined))
  })

  test('intervals, candidacies and saves are keys with their ttl', async () => {
    const key = recordKey('posts', '1')
    await store.attention.throttle('ask:ann', 5000)
    await store.attention.putCandidate(key, 'tab:1', claimant('ann'), 5000)
    await store.saves.recordSave(key, { user: { id: 'ann', name: 'Ann' }, atMs: 1, version: 'v1' }, 5000)
    for (const name of [`${namespace}throttle:{ask:ann}`, `${namespace}candidate:{${key}}:tab%3A1`, `${namespace}save:{${key}}`]) {
      const left = await raw.pttl(name)
      expect(left).toBeGreaterThan(0)
      expect(left).toBeLessThanOrEqual(5000)
    }
  })

  test('a conversation is one list trimmed to `keep`, a rate window one counter, each with its ttl', async () => {
    const conversation = conversationKey(recordKey('posts', '1'), ['ann', 'bob'])
    for (let i = 0; i < 4; i++) await store.chat.append(conversation, message('ann', `m${i}`), 3, 5000, UNLIMITED)
    await store.limits.hit('chat:ann', 3, 5000)
    await store.limits.hit('chat:ann', 3, 5000)
    const listName = `${namespace}chat:{${conversation}}`
    expect(await raw.llen(listName)).toBe(3)
    expect(await raw.get(`${namespace}limit:{chat:ann}`)).toBe('2')
    for (const name of [listName, `${namespace}limit:{chat:ann}`]) {
      const left = await raw.pttl(name)
      expect(left).toBeGreaterThan(0)
      expect(left).toBeLessThanOrEqual(5000)
    }
  })

  test('the index of held records follows the leases: pruned when they end, without a scan', async () => {
    // The index is written by a command of its own after each lock script (lockIndex-1), sent and
    // not awaited: another connection (this test's) sees it a moment later, hence `eventually`.
    const index = `${namespace}lock-index`
    const indexed = (expected: string[]) =>
      eventually(`the index to be ${expected.join(', ')}`, async () => ((await raw.zrange(index, 0, -1)).sort().join() === expected.join() ? true : undefined))
    const ann = claimant('ann')
    await store.locks.claim('posts:1', ann, 100)
    await store.locks.claim('posts:2', ann, 100)
    await store.locks.claim('posts:3', ann, LONG)
    await indexed(['posts:1', 'posts:2', 'posts:3'])
    // The score is the lease's deadline, moved by renewals.
    const before = Number(await raw.zscore(index, 'posts:3'))
    await store.locks.heartbeat('posts:3', ann, 2 * LONG)
    await eventually('the deadline to move', async () => (Number(await raw.zscore(index, 'posts:3')) > before ? true : undefined))
    await eventually('the short leases to end', async () => ((await raw.exists(`${namespace}lock:{posts:1}`, `${namespace}lock:{posts:2}`)) === 0 ? true : undefined))
    // A grant drops the index entries of leases that ended; so does a listing.
    await store.locks.claim('posts:4', ann, LONG)
    await indexed(['posts:3', 'posts:4'])
    await store.locks.release('posts:3', ann)
    await indexed(['posts:4'])
    expect((await store.locks.list()).map((one) => one.recordKey)).toEqual(['posts:4'])
  })

  test("every key of a record's operations carries its hash tag: one Cluster slot", async () => {
    const key = recordKey('posts', 'a:b/ü')
    const ann = claimant('ann')
    await store.locks.claim(key, ann, LONG)
    await store.locks.transfer(key, { kind: 'holder', holder: ann }, claimant('bob'), LONG)
    await store.presence.join(key, entry('ann'), LONG)
    await store.queue.join(key, waiting('carol'), LONG, LONG)
    await store.attention.putCandidate(key, 'tab-1', ann, LONG)
    await store.saves.recordSave(key, { user: { id: 'ann', name: 'Ann' }, atMs: 1, version: 'v1' }, LONG)
    const entered = await store.writes.enter(key, LONG)
    const global = ['lock-index', 'presence-index', 'restart-quiet', 'audit', 'changes'].map((name) => `${namespace}${name}`)
    const written = (await raw.keys(`${namespace}*`)).filter((name) => !global.includes(name))
    expect(written.length).toBeGreaterThanOrEqual(10)
    for (const name of written) expect(name).toContain(`:{${key}}`)
    if (entered.entered) await store.writes.leave(key, entered.fence)
  })

  test("a record's line is four keys under its hash tag, living as long as its longest entry, gone when it empties", async () => {
    const key = recordKey('posts', 'a:b')
    const names = ['queue', 'queue-expiry', 'queue-data', 'queue-turn'].map((kind) => `${namespace}${kind}:{${key}}`)
    const ann = waiting('ann')
    await store.queue.join(key, ann, 200, LONG)
    await store.queue.join(key, waiting('bob'), 100, LONG)
    // A refused claim starts ann's turn: the fourth key.
    await expect(store.locks.claim(key, claimant('carol'), LONG)).rejects.toBeInstanceOf(QueueRefusedError)
    for (const name of names) {
      const left = await raw.pttl(name)
      expect(left).toBeGreaterThan(100)
      expect(left).toBeLessThanOrEqual(200)
    }
    expect(await store.queue.renew(key, [ann.token, 'never-joined'], 400)).toBe(false)
    expect(await raw.zscore(names[1]!, 'never-joined')).toBeNull()
    for (const name of names) expect(await raw.pttl(name)).toBeGreaterThan(200)
    await store.queue.leave(key, waitingHolder(ann))
    await eventually('bob to expire', async () => ((await store.queue.list(key)).entries.length === 0 ? true : undefined))
    expect(await raw.exists(...names)).toBe(0)
  })

  test('the audit log is one stream; an entry that is not an event is an error on reading, never half understood', async () => {
    await store.audit.append(auditEvent('granted', 'ann'))
    expect(await raw.xlen(`${namespace}audit`)).toBe(1)
    await raw.xadd(`${namespace}audit`, '*', 'record', 'posts:1', 'user', 'ann', 'by', '', 'event', JSON.stringify({ kind: 'granted' }))
    await expect(store.audit.list({ limit: 10 })).rejects.toThrow('unexpected reply from a Redis script')
    await expect(store.audit.list({ limit: 10, before: 'not-an-id' })).rejects.toThrow(RangeError)
  })

  test('a ttl that is not a whole number of ms is refused before it reaches Redis', async () => {
    await expect(store.presence.join('posts:1', entry('ann'), 1.5)).rejects.toThrow(RangeError)
    await expect(store.attention.throttle('ask:ann', 0)).rejects.toThrow(RangeError)
    await expect(store.chat.append('posts:1:all', message('ann', 'hi'), 0, LONG, UNLIMITED)).rejects.toThrow(RangeError)
    await expect(store.limits.hit('chat:ann', 1, 0.5)).rejects.toThrow(RangeError)
  })
})

describe('RedisStore: connection', () => {
  test('fails a claim fast, and ready() with a clear error, when nothing listens on the port', async () => {
    const port = await freePort()
    const store = new RedisStore({
      redis: `redis://127.0.0.1:${port}`,
      keyPrefix: `contract:${randomUUID()}:`,
      connection: { ...connection, connectTimeoutMs: 300 },
    })
    try {
      const started = Date.now()
      await expect(store.locks.claim('posts:1', claimant('ann'), LONG)).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(1000)
      for (const call of [
        store.presence.join('posts:1', entry('ann'), LONG),
        store.presence.renew('posts:1', ['socket-1'], LONG),
        store.attention.throttle('ask:ann', LONG),
        store.attention.takeCandidate('posts:1', 'tab-1'),
        store.saves.lastSave('posts:1'),
        store.chat.append('posts:1:all', message('ann', 'hi'), 100, LONG, UNLIMITED),
        store.chat.history('posts:1:all', 100),
        store.limits.hit('chat:ann', 30, LONG),
      ]) {
        await expect(call).rejects.toBeInstanceOf(StoreUnavailableError)
      }
      expect(store.isAvailable()).toBe(false)
      await expect(store.ready()).rejects.toThrow(`127.0.0.1:${port} not reachable within 300 ms`)
    } finally {
      await store.close()
    }
  })

  test('reports availability, and duplicates a given client without ever closing it', async () => {
    const given = new Redis(redisUrl())
    const store = new RedisStore({ redis: given, keyPrefix: `contract:${randomUUID()}:`, connection })
    try {
      const statuses: boolean[] = []
      store.on('status', (available) => statuses.push(available))
      await store.ready()
      expect(store.isAvailable()).toBe(true)
      expect((await store.locks.claim('posts:1', claimant('ann'), LONG)).granted).toBe(true)
      await store.close()
      expect(statuses).toEqual([true, false])
      expect(store.isAvailable()).toBe(false)
      expect(await given.ping()).toBe('PONG')
    } finally {
      await store.close()
      await given.quit()
    }
  })

  test('recovers by itself when Redis restarts, and fences still grow past the restart', async () => {
    const server = await startRedisServer()
    const store = new RedisStore({ redis: server.url, keyPrefix: `contract:${randomUUID()}:`, connection })
    // stop() of an already killed server never resolves (it checks exitCode, not signalCode), so
    // each server is stopped exactly once.
    let running: RedisServer | undefined = server
    try {
      await store.ready()
      const before = await store.locks.claim('posts:1', claimant('ann'), LONG)

      const down = nextStatus(store, false)
      await server.stop()
      running = undefined
      await down
      const started = Date.now()
      await expect(store.locks.claim('posts:2', claimant('ann'), LONG)).rejects.toThrow()
      expect(Date.now() - started).toBeLessThan(1000)

      const up = nextStatus(store, true)
      running = await startRedisServer(server.port)
      await up
      // A fresh Redis: no lease survived, the script cache is empty (EVALSHA falls back to EVAL),
      // and the fence counter starts again from the clock, above every fence granted before.
      expect(await store.locks.get('posts:1')).toBeNull()
      const after = await store.locks.claim('posts:1', claimant('bob'), LONG)
      expect(after.granted).toBe(true)
      expect(after.lease.fence).toBeGreaterThan(before.lease.fence)
    } finally {
      await store.close()
      await running?.stop()
    }
  })

  test('rejects a redis option that is neither a URL nor a client', () => {
    expect(() => new RedisStore({ redis: {}, keyPrefix: 'x:', connection })).toThrow('option `redis`')
  })
})
