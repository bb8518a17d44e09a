/**
 * `node --expose-gc --import tsx bench/tools/memory-store-bench.ts [src-dir...] [--n=20000] [--rounds=7]`
 *
 * Operations per second of the embedded MemoryStore (claims, heartbeats, grace, presence joins,
 * renewals and lists, attention intervals, rate-limit hits, chat appends, saves), and the heap it
 * keeps once everything has expired. Each `src-dir` is a `src/` whose store is measured (default
 * this checkout's): to compare two versions, copy the other one's `src/` elsewhere with a
 * `node_modules` link beside it (`mkdir /tmp/before && git archive <commit> src | tar -x -C /tmp/before
 * && ln -s "$PWD/node_modules" /tmp/before/`) and pass both. Their rounds alternate in one
 * process, so a busy machine slows both alike; each figure is the median of `rounds` fresh stores
 * after one warm-up round each, and the last column is the ratio of the last version to the first.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Store } from '../../src/store/store.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: number) => Number(args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const given = args.filter((arg) => !arg.startsWith('--'))
const srcDirs = (given.length > 0 ? given : [path.join(import.meta.dirname, '../../src')]).map((dir) => path.resolve(dir))
const N = flag('n', 20_000)
const ROUNDS = flag('rounds', 7)
const LONG_MS = 30_000
/** An allowance the bench never reaches: it measures the append, not the limit. */
const UNLIMITED = { key: 'chat:bench', limit: Number.MAX_SAFE_INTEGER, windowMs: LONG_MS }

type StoreClass = new (options?: Record<string, unknown>) => Store & { heldEntries(): number }
const versions: StoreClass[] = []
for (const dir of srcDirs) {
  versions.push(((await import(pathToFileURL(path.join(dir, 'store/memory-store.ts')).href)) as { MemoryStore: StoreClass }).MemoryStore)
}

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc --import tsx')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const who = (i: number) => ({ token: `token-${i}`, user: { id: `user-${i}`, name: `User ${i}` } })
const entry = (i: number, tab: number) => ({
  id: `socket-${i}-${tab}`,
  user: { id: `user-${i}`, name: `User ${i}` },
  tabId: `tab-${i}-${tab}`,
  intent: 'edit' as const,
  sinceMs: 0,
})
const message = (i: number) => ({ id: `m${i}`, resourceId: 'posts', recordId: String(i), from: { id: 'ann', name: 'Ann' }, to: null, text: 'hello', atMs: i })

/** Each phase runs on the store the previous ones filled, as a live server's would. */
const phases: Array<[name: string, opsPerRecord: number, run: (store: Store, i: number) => Promise<unknown>]> = [
  ['locks.claim (new record)', 1, (s, i) => s.locks.claim(`posts:${i}`, who(i), LONG_MS)],
  ['locks.heartbeat', 1, (s, i) => s.locks.heartbeat(`posts:${i}`, who(i), LONG_MS)],
  ['locks.claim (renewal)', 1, (s, i) => s.locks.claim(`posts:${i}`, who(i), LONG_MS)],
  ['locks.get', 1, (s, i) => s.locks.get(`posts:${i}`)],
  ['locks.expireIn (grace)', 1, (s, i) => s.locks.expireIn(`posts:${i}`, who(i), 5_000)],
  [
    'presence.join (2 tabs)',
    2,
    async (s, i) => {
      await s.presence.join(`posts:${i}`, entry(i, 0), LONG_MS)
      await s.presence.join(`posts:${i}`, entry(i, 1), LONG_MS)
    },
  ],
  ['presence.renew', 1, (s, i) => s.presence.renew(`posts:${i}`, [`socket-${i}-0`, `socket-${i}-1`], LONG_MS)],
  ['presence.list', 1, (s, i) => s.presence.list(`posts:${i}`)],
  ['attention.throttle', 1, (s, i) => s.attention.throttle(`ask:${i}`, LONG_MS)],
  [
    'limits.hit (3 a key)',
    3,
    async (s, i) => {
      for (let k = 0; k < 3; k++) await s.limits.hit(`events:${i}`, 20, 1_000)
    },
  ],
  ['chat.append', 1, (s, i) => s.chat.append(`posts:${i}:all`, message(i), 100, LONG_MS, UNLIMITED)],
  [
    'saves.record + last',
    2,
    async (s, i) => {
      await s.saves.recordSave(`posts:${i}`, { user: { id: 'u', name: 'U' }, atMs: 0, version: 'v' }, LONG_MS)
      await s.saves.lastSave(`posts:${i}`)
    },
  ],
]

async function round(MemoryStore: StoreClass): Promise<number[]> {
  const store = new MemoryStore()
  const rates: number[] = []
  for (const [, opsPerRecord, run] of phases) {
    const started = performance.now()
    for (let i = 0; i < N; i++) await run(store, i)
    rates.push((N * opsPerRecord) / ((performance.now() - started) / 1000))
  }
  await store.close()
  return rates
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0
const heapMb = () => {
  gc()
  return process.memoryUsage().heapUsed / 2 ** 20
}

/** Fills a store with one of everything on N records, all ending after `ttlMs`, and reports the heap once they have ended. */
async function heapAfterExpiry(MemoryStore: StoreClass, options: Record<string, unknown>): Promise<{ filledMb: number; expiredMb: number; held: number }> {
  const baseline = heapMb()
  const createdMs = performance.now()
  const store = new MemoryStore(options)
  const ttlMs = 200
  for (let i = 0; i < N; i++) {
    await store.locks.claim(`posts:${i}`, who(i), ttlMs)
    await store.presence.join(`posts:${i}`, entry(i, 0), ttlMs)
    await store.attention.throttle(`ask:${i}`, ttlMs)
    await store.limits.hit(`events:${i}`, 20, ttlMs)
    await store.chat.append(`posts:${i}:all`, message(i), 100, ttlMs, UNLIMITED)
    await store.saves.recordSave(`posts:${i}`, { user: { id: 'u', name: 'U' }, atMs: 0, version: 'v' }, ttlMs)
  }
  const filledMb = heapMb() - baseline
  // Past every deadline, and past a 1 s sweep interval counted from the store's creation.
  await sleep(Math.max(ttlMs + 300, 1100 - (performance.now() - createdMs)))
  // One operation after expiry: the moment an operation-driven sweep may run.
  await store.locks.get('posts:none')
  const expiredMb = heapMb() - baseline
  const held = store.heldEntries()
  await store.close()
  return { filledMb, expiredMb, held }
}

console.log(`MemoryStore from ${srcDirs.join(' vs ')}; N=${N} records, ${ROUNDS} rounds (median), node ${process.version}`)
for (const version of versions) await round(version) // warm-up: JIT and the heap's first growth
const results: number[][][] = versions.map(() => [])
for (let r = 0; r < ROUNDS; r++) for (const [v, version] of versions.entries()) results[v]?.push(await round(version))
const medians = results.map((rounds) => phases.map((_, p) => median(rounds.map((rates) => rates[p] ?? 0))))
const harmonic = (rates: number[]) => rates.length / rates.reduce((sum, rate) => sum + 1 / rate, 0)
const ratio = (rates: number[] | undefined, p: number) => ((rates?.[p] ?? 0) / (medians[0]?.[p] ?? 1)).toFixed(2)
const rows = phases.map(([name], p) => ({
  operation: name,
  ...Object.fromEntries(medians.map((rates, v) => [`v${v + 1} ops/s`, Math.round(rates[p] ?? 0)])),
  ...(versions.length > 1 ? { ratio: ratio(medians.at(-1), p) } : {}),
}))
const means = medians.map(harmonic)
rows.push({
  operation: 'harmonic mean',
  ...Object.fromEntries(means.map((mean, v) => [`v${v + 1} ops/s`, Math.round(mean)])),
  ...(versions.length > 1 ? { ratio: ((means.at(-1) ?? 0) / (means[0] ?? 1)).toFixed(2) } : {}),
})
srcDirs.forEach((dir, v) => console.log(`v${v + 1}: ${dir}`))
console.table(rows)
for (const [v, version] of versions.entries()) {
  for (const [label, options] of [
    ['default options', {}],
    ['sweepIntervalMs 1000', { sweepIntervalMs: 1000 }],
  ] as const) {
    const heap = await heapAfterExpiry(version, options)
    console.log(`v${v + 1} heap (${label}): +${heap.filledMb.toFixed(1)} MB filled, +${heap.expiredMb.toFixed(1)} MB after expiry, ${heap.held} entries still held`)
  }
}
