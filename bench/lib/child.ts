/**
 * A server under test in its own Node process, so the clients (in the bench's process) do not compete
 * with it for the same event loop. Requests go over the IPC channel: `{ id, cmd, args }` answered
 * by `{ id, ok, result | error }`. The child's output is kept in a log file under bench/results.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { createWriteStream, type WriteStream } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Starts the log line of an error the server under test did not handle. */
export const UNCAUGHT_MARKER = 'BENCH-UNCAUGHT'

interface Reply {
  id: number
  ok: boolean
  result?: unknown
  error?: string
}

export class Child {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>()
  private exited = false
  /** Lines the child wrote to stdout/stderr (warnings of the server under test end up here). */
  logLines = 0
  /** Errors the server under test did not handle (uncaught exceptions, unhandled rejections). */
  uncaught = 0

  private constructor(
    readonly name: string,
    private readonly process: ChildProcess,
    private readonly log: WriteStream,
  ) {
    process.on('message', (message: Reply) => {
      const waiting = this.pending.get(message.id)
      if (!waiting) return
      this.pending.delete(message.id)
      clearTimeout(waiting.timer)
      if (message.ok) waiting.resolve(message.result)
      else waiting.reject(new Error(`${name}: ${message.error ?? 'failed'}`))
    })
    process.once('exit', (code, signal) => {
      this.exited = true
      for (const [, waiting] of this.pending) {
        clearTimeout(waiting.timer)
        waiting.reject(new Error(`${name} exited (${code ?? signal}); see its log`))
      }
      this.pending.clear()
    })
  }

  get pid(): number | undefined {
    return this.process.pid
  }

  /** Forks `script` (a .ts file next to this folder's parent) with tsx and --expose-gc; resolves when it says ready. */
  static async start(name: string, script: URL, logPath: string): Promise<Child> {
    const log = createWriteStream(logPath)
    const child = fork(fileURLToPath(script), [], {
      // BENCH_PROFILE=dir: each child writes a V8 CPU profile there when it exits (for analysis).
      // BENCH_V8='--no-opt ...': V8 flags for the children (e.g. to tell JIT warm-up from other causes).
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        '--max-old-space-size=4096',
        ...(process.env.BENCH_V8 ? process.env.BENCH_V8.split(' ') : []),
        ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
      ],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, BENCH_CHILD: name },
    })
    const instance = new Child(name, child, log)
    const count = (chunk: Buffer) => {
      log.write(chunk)
      const lines = chunk.toString().split('\n')
      instance.logLines += lines.filter((line) => line.trim().length > 0).length
      instance.uncaught += lines.filter((line) => line.includes(UNCAUGHT_MARKER)).length
    }
    child.stdout?.on('data', count)
    child.stderr?.on('data', count)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s; see ${logPath}`)), 60_000)
      child.once('message', (message: { type?: string }) => {
        clearTimeout(timer)
        if (message.type === 'ready') resolve()
        else reject(new Error(`${name}: unexpected first message ${JSON.stringify(message)}`))
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`${name} exited with ${code} while starting; see ${logPath}`))
      })
    })
    return instance
  }

  request<T>(cmd: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`))
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${this.name}: ${cmd} got no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer })
      this.process.send({ id, cmd, args })
    })
  }

  /** Asks the child to close its server and exit; kills it if it does not within 5 s. */
  async stop(): Promise<void> {
    if (this.exited) return
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()))
    this.request('exit', {}, 5_000).catch(() => undefined)
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
    this.log.end()
  }

  /** Last resort on the way out: only this child, by its own handle. */
  kill(): void {
    if (!this.exited) this.process.kill('SIGKILL')
  }
}

/** The child side: answers the parent's requests with `handlers`, then says ready. */
export function serveRequests(handlers: Record<string, (args: never) => Promise<unknown>>): void {
  process.on('message', (message: { id: number; cmd: string; args: unknown }) => {
    const handler = handlers[message.cmd]
    const reply = (body: Omit<Reply, 'id'>) => process.send?.({ id: message.id, ...body })
    if (!handler) return reply({ ok: false, error: `unknown command ${message.cmd}` })
    handler(message.args as never).then(
      (result) => reply({ ok: true, result }),
      (error: unknown) => reply({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    )
  })
  // The parent going away (crash, Ctrl+C) must not leave this server running.
  process.on('disconnect', () => process.exit(0))
  // A server under test that throws outside any request is a finding, not the end of the run:
  // logged with a marker the parent counts (see Child.uncaught), and the process carries on.
  process.on('uncaughtException', (error) => console.error(`${UNCAUGHT_MARKER} exception:`, error))
  process.on('unhandledRejection', (error) => console.error(`${UNCAUGHT_MARKER} rejection:`, error))
  process.send?.({ type: 'ready' })
}

export interface HeapSample {
  heapUsed: number
  rss: number
  external: number
  arrayBuffers: number
  /** Engine.IO clients connected to this process's server. */
  clients: number
}

/** Heap after full collections, so the difference of two samples is what stays reachable. */
export async function sampleHeap(clients: number): Promise<HeapSample> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('start the child with --expose-gc')
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  const usage = process.memoryUsage()
  return { heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external, arrayBuffers: usage.arrayBuffers, clients }
}

export interface LoadSample {
  /** CPU time of this process so far (user + system), ms. */
  cpuMs: number
  /** Event-loop delay since the last reset: how long ready work waited for the loop, ms. */
  loopDelay: { p50: number; p99: number; max: number }
}

let histogram: IntervalHistogram | undefined

/** CPU used so far and the event-loop delay since the last call with `reset` (the child side). */
export function sampleLoad(reset: boolean): LoadSample {
  histogram ??= (() => {
    const h = monitorEventLoopDelay({ resolution: 5 })
    h.enable()
    return h
  })()
  const cpu = process.cpuUsage()
  const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : Number.NaN)
  const sample = {
    cpuMs: (cpu.user + cpu.system) / 1000,
    loopDelay: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
  }
  if (reset) histogram.reset()
  return sample
}
