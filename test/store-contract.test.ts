/**
 * The lock rules of src/store/store.ts, proven once and run against both stores: MemoryStore, and
 * RedisStore on the real redis-server the jest global setup started (TEST_REDIS_URL).
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { recordKey } from '../src/store/keys.js'
import { MemoryStore } from '../src/store/memory-store.js'
import { RedisStore } from '../src/store/redis-store.js'
import type { Claimant, Lease, Store } from '../src/store/store.js'
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.mjs'

const redisUrl = (): string => {
  const url = process.env.TEST_REDIS_URL
  if (!url) throw new Error('TEST_REDIS_URL is not set: run through jest (its global setup starts redis-server)')
  return url
}

const connection = { maxRetryDelayMs: 200, retryDelayMs: 20, connectTimeoutMs: 1000, commandTimeoutMs: 1000 }

interface StoreHarness {
  name: string
  /** Opens a store on `namespace`; stores opened on one namespace share their state. */
  open(namespace: string): Store
}

const memoryHarness = (): StoreHarness => {
  const stores = new Map<string, MemoryStore>()
  return {
    name: 'MemoryStore',
    open(namespace) {
      const store = stores.get(namespace) ?? new MemoryStore()
      stores.set(namespace, store)
      return store
    },
  }
}

const redisHarness = (): StoreHarness => ({
  name: 'RedisStore',
  open: (namespace) => new RedisStore({ redis: redisUrl(), keyPrefix: namespace, connection }),
})

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

const claimant = (userId: string, extra: Partial<Claimant> = {}): Claimant => ({
  token: randomUUID(),
  userId,
  userName: `User ${userId}`,
  ...extra,
})

const LONG = 60_000

function expectHeldBy(lease: Lease | null, who: Claimant): Lease {
  expect(lease).not.toBeNull()
  expect(lease).toMatchObject({ token: who.token, userId: who.userId, userName: who.userName })
  return lease!
}

function lockStoreContract(makeHarness: () => StoreHarness): void {
  let harness: StoreHarness
  let namespace: string
  let opened: Store[]

  /** A store on this test's namespace, closed after the test. */
  const open = async (): Promise<Store> => {
    const store = harness.open(namespace)
    opened.push(store)
    await store.ready()
    return store
  }

  beforeEach(() => {
    harness = makeHarness()
    namespace = `contract:${randomUUID()}:`
    opened = []
  })

  afterEach(async () => {
    await Promise.all(opened.map((store) => store.close()))
  })

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
      expect((await locks.get('posts:1'))?.avatarUrl).toBeUndefined()
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
      const renewed = await locks.heartbeat('posts:1', ann.token, LONG)
      expect(renewed).toMatchObject({ ...ann, fence: lease.fence, sinceMs: lease.sinceMs })
      expect(renewed!.expiresAtMs).toBeGreaterThan(Date.now() + LONG - 1000)
    })

    test('anyone else gets null and changes nothing', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      await locks.claim('posts:1', ann, 5000)
      expect(await locks.heartbeat('posts:1', claimant('bob').token, LONG)).toBeNull()
      const lease = expectHeldBy(await locks.get('posts:1'), ann)
      expect(lease.expiresAtMs).toBeLessThanOrEqual(Date.now() + 5000)
    })

    test('on a free record it is null', async () => {
      const { locks } = await open()
      expect(await locks.heartbeat('posts:1', randomUUID(), LONG)).toBeNull()
      expect(await locks.get('posts:1')).toBeNull()
    })
  })

  describe('release', () => {
    test('only the holder frees the record', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      await locks.claim('posts:1', ann, LONG)
      expect(await locks.release('posts:1', claimant('bob').token)).toBe(false)
      expectHeldBy(await locks.get('posts:1'), ann)
      expect(await locks.release('posts:1', ann.token)).toBe(true)
      expect(await locks.get('posts:1')).toBeNull()
      expect(await locks.release('posts:1', ann.token)).toBe(false)
    })
  })

  describe('expiry', () => {
    test('a lease not renewed within its ttl frees the record for the next claimant', async () => {
      const { locks } = await open()
      const ann = claimant('ann')
      const first = await locks.claim('posts:1', ann, 200)
      await eventually('the lease to end', async () => ((await locks.get('posts:1')) === null ? true : undefined))
      expect(await locks.heartbeat('posts:1', ann.token, LONG)).toBeNull()
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
      expect(await locks.expireIn('posts:1', ann.token, 10_000)).toBe(true)
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
      expect(await locks.expireIn('posts:1', ann.token, 150)).toBe(true)
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
      expect(await locks.expireIn('posts:1', claimant('bob').token, 0)).toBe(false)
      expect((await locks.get('posts:1'))!.expiresAtMs).toBeGreaterThan(Date.now() + LONG - 1000)
      expect(await locks.expireIn('posts:2', ann.token, 0)).toBe(false)
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
      expect(result.lease!.avatarUrl).toBeUndefined()
      expect(result.lease!.sinceMs).toBeGreaterThanOrEqual(lease.sinceMs)
      expect(await locks.heartbeat('posts:1', firstTab.token, LONG)).toBeNull()
      expect(await locks.release('posts:1', firstTab.token)).toBe(false)
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

    test('holder-token: hands over only from exactly that token', async () => {
      const { locks } = await open()
      const bob = claimant('bob')
      const ann = claimant('ann')
      const { lease } = await locks.claim('posts:1', bob, LONG)

      const wrong = await locks.transfer('posts:1', { kind: 'holder-token', token: randomUUID() }, ann, LONG)
      expect(wrong.transferred).toBe(false)
      expectHeldBy(wrong.lease, bob)

      const right = await locks.transfer('posts:1', { kind: 'holder-token', token: bob.token }, ann, LONG)
      expect(right.transferred).toBe(true)
      expect(expectHeldBy(right.lease, ann).fence).toBeGreaterThan(lease.fence)
      expectHeldBy(await locks.get('posts:1'), ann)
    })

    test('holder-token: refused on a free record', async () => {
      const { locks } = await open()
      const result = await locks.transfer('posts:1', { kind: 'holder-token', token: randomUUID() }, claimant('ann'), LONG)
      expect(result).toEqual({ transferred: false, lease: null })
      expect(await locks.get('posts:1')).toBeNull()
    })
  })

  test('fences strictly increase across every grant and every record; renewals keep theirs', async () => {
    const { locks } = await open()
    const ann = claimant('ann')
    const bob = claimant('bob')
    const fences: number[] = []
    const grant = async (result: Promise<{ lease: Lease | null }>) => {
      const { lease } = await result
      fences.push(lease!.fence)
    }
    await grant(locks.claim('posts:1', ann, LONG))
    await grant(locks.claim('posts:2', bob, LONG))
    await grant(locks.claim('users:1', ann, LONG))
    expect((await locks.claim('posts:1', ann, LONG)).lease.fence).toBe(fences[0])
    await grant(locks.transfer('posts:1', { kind: 'holder-token', token: ann.token }, bob, LONG))
    await locks.release('posts:2', bob.token)
    await grant(locks.claim('posts:2', ann, LONG))
    await grant(locks.transfer('posts:3', { kind: 'same-user' }, ann, LONG))
    await grant(locks.transfer('posts:3', { kind: 'same-user' }, claimant('ann'), LONG))
    for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]!)
  })

  test('record ids with colons, slashes, unicode and UUIDs never share a lease', async () => {
    const { locks } = await open()
    const uuid = randomUUID()
    const pairs: Array<[string, string]> = [
      ['posts', 'a:b'], ['posts:a', 'b'], ['posts', 'a'], ['posts', 'a/b'], ['posts/a', 'b'],
      ['posts', 'a%3Ab'], ['posts', 'a b'], ['posts', ''], ['posts', 'ünïcødé'], ['posts', '🔒'],
      ['posts', uuid], ['posts', uuid.toUpperCase()], ['Posts', 'a'], ['posts', 'lock:posts:a'],
    ]
    const keys = pairs.map(([resource, id]) => recordKey(resource, id))
    expect(new Set(keys).size).toBe(keys.length)
    const holders = pairs.map((_, i) => claimant(`user-${i}`))
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
      expect(await stores[round % stores.length]!.locks.release('posts:race', winner.token)).toBe(true)
    }
  })
}

describe.each([
  ['MemoryStore', memoryHarness],
  ['RedisStore', redisHarness],
])('%s: lock contract', (_name, makeHarness) => lockStoreContract(makeHarness))

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
