/**
 * A Redis Cluster fault, against a cluster of three masters with one replica each that this file
 * starts: the master of a held record's slot is killed, its replica takes over, and two stores (two
 * processes of the admin) go on. The holder keeps the record (its heartbeats find the lease on the
 * promoted replica), the other store never gets it, and both notice the new master and start their
 * restart-quiet period for its slots: no free record there is granted to anyone new until it ends,
 * while the records on the other masters are granted as before.
 */
import { randomUUID } from 'node:crypto'
import { Cluster, Redis } from 'ioredis'
import { recordKey, redisKeys } from '../src/store/keys.js'
import { RedisStore } from '../src/store/redis-store.js'
import { StoreRecoveringError, type Claimant, type Lease } from '../src/store/store.js'
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.mjs'

const connection = { maxRetryDelayMs: 200, retryDelayMs: 20, connectTimeoutMs: 2000, commandTimeoutMs: 1000 }
const LONG = 60_000
/** The quiet period after a failover: long enough to see it, short enough for the test. */
const QUIET_MS = 45_000

const claimant = (id: string): Claimant => ({ token: `tab-${id}-${randomUUID()}`, user: { id, name: `User ${id}` } })

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The port of the master that serves `key`'s slot, asked of any node that runs. */
async function masterOf(cluster: RedisCluster, key: string): Promise<number> {
  const running = cluster.nodes.find((node) => node.process.exitCode === null && node.process.signalCode === null)!
  const raw = new Redis(running.url)
  try {
    const slot = (await raw.cluster('KEYSLOT', key)) as number
    const ranges = await raw.cluster('SLOTS')
    const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2]
    if (!master) throw new Error(`no master serves slot ${slot}`)
    return master[1]
  } finally {
    raw.disconnect()
  }
}

describe('RedisStore on a cluster: a master fails over', () => {
  let cluster: RedisCluster | undefined
  const stores: RedisStore[] = []

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 })
  }, 200_000)

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()))
    await cluster?.stop()
  })

  test('the holder keeps the record, nobody else gets it, and both stores start their quiet period on its shard only', async () => {
    const urls = cluster!.urls
    const prefix = `faults-cluster:${randomUUID()}:`
    const open = (redis: string[] | Cluster) => {
      const store = new RedisStore({ redis, keyPrefix: prefix, connection, restartQuietMs: QUIET_MS })
      stores.push(store)
      return store
    }
    // One store from node URLs, the other from an ioredis Cluster of the caller's (duplicated, never closed).
    const given = new Cluster(urls.slice(0, 1).map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) })))
    const a = open(urls)
    const b = open(given)
    await Promise.all([a.ready(), b.ready()])

    const key = recordKey('Post', '1')
    const ann = claimant('ann')
    const bob = claimant('bob')
    const granted = await a.locks.claim(key, ann, LONG)
    expect(granted.granted).toBe(true)
    const port = await masterOf(cluster!, redisKeys(prefix).lock(key))
    // The lease reached the replica before its master dies (replication is asynchronous).
    const master = new Redis(`redis://127.0.0.1:${port}`)
    expect(await master.call('WAIT', 1, 5000)).toBe(1)
    master.disconnect()

    await cluster!.nodes.find((node) => node.port === port)!.stop()
    const killedAt = Date.now()

    // Until the holder's heartbeat finds its lease again, bob claims on: never granted.
    const bobsClaims: Array<'denied' | 'failed' | 'granted' | 'recovering'> = []
    const claimByBob = async () => {
      try {
        bobsClaims.push((await b.locks.claim(key, bob, LONG)).granted ? 'granted' : 'denied')
      } catch (error) {
        bobsClaims.push(error instanceof StoreRecoveringError ? 'recovering' : 'failed')
      }
    }
    // What the holder's renewals met, and what the nodes say, if the renewal never comes back.
    const seen: string[] = []
    const lease = await eventually<Lease>('the holder to renew on the promoted replica', async () => {
      await claimByBob()
      try {
        return (await a.locks.heartbeat(key, ann, LONG)) ?? void seen.push(`${Date.now() - killedAt} ms: no lease`)
      } catch (error) {
        seen.push(`${Date.now() - killedAt} ms: ${String((error as { cause?: Error }).cause?.message ?? error)}`)
        throw error
      }
    }).catch(async (error: unknown) => {
      const views = await Promise.all(
        cluster!.nodes
          .filter((node) => node.process.exitCode === null && node.process.signalCode === null)
          .map(async (node) => {
            const raw = new Redis(node.url)
            try {
              return `${node.port}:\n${String(await raw.cluster('NODES'))}`
            } finally {
              raw.disconnect()
            }
          }),
      )
      console.log(`[faults-cluster] no renewal; first and last of what it met: ${JSON.stringify([...seen.slice(0, 4), '…', ...seen.slice(-6)])}\n${views.join('\n')}`)
      throw error
    })
    const recoveredMs = Date.now() - killedAt
    await cluster!.ok()
    expect(lease).toMatchObject({ token: ann.token, fence: granted.lease.fence })
    expect(await cluster!.masterPorts()).not.toContain(port)

    // Each store saw the new master (its check runs every second) and grants no free record of its
    // slots now; the records of the other masters lost nothing and are granted as before.
    const promoted = await masterOf(cluster!, redisKeys(prefix).lock(key))
    const freeRecordOn = async (wanted: (port: number) => boolean) => {
      for (;;) {
        const free = recordKey('Post', `free-${randomUUID()}`)
        if (wanted(await masterOf(cluster!, redisKeys(prefix).lock(free)))) return free
      }
    }
    for (const [name, store] of [
      ['a', a],
      ['b', b],
    ] as const) {
      await eventually(`store ${name} to start its quiet period`, async () => {
        try {
          await store.locks.claim(await freeRecordOn((port) => port === promoted), bob, LONG)
          return undefined
        } catch (error) {
          return error instanceof StoreRecoveringError ? true : undefined
        }
      })
      const elsewhere = await store.locks.claim(await freeRecordOn((port) => port !== promoted), bob, LONG)
      expect(elsewhere.granted).toBe(true)
    }
    // A store that connects during the period (a process started now) adopts it from the shared key, slots and all.
    const late = open(urls)
    await late.ready()
    await expect(late.locks.claim(await freeRecordOn((port) => port === promoted), bob, LONG)).rejects.toBeInstanceOf(StoreRecoveringError)
    expect((await late.locks.claim(await freeRecordOn((port) => port !== promoted), bob, LONG)).granted).toBe(true)
    await claimByBob()
    expect(bobsClaims).not.toContain('granted')
    expect(await a.locks.get(key)).toMatchObject({ token: ann.token, fence: granted.lease.fence })
    console.log(
      `[faults-cluster] master ${port} killed: holder renewed after ${recoveredMs} ms; bob's claims meanwhile: ${bobsClaims.length} (${[...new Set(bobsClaims)].join(', ')}), none granted`,
    )
    // The caller's Cluster was duplicated, never used or closed by the store.
    await b.close()
    expect(await given.ping()).toBe('PONG')
    await given.quit()
  }, 60_000)
})
