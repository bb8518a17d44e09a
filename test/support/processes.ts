/**
 * Real child processes for fault tests: the fixture server (`test/fixture/server.ts`) and small scripts
 * of test/support, each run as ONE node process with tsx's loader (`node --import tsx`), not through
 * the `tsx` command: that one spawns node as a second process, so a SIGKILL or SIGSTOP sent to it
 * would miss the server (and leave it running, orphaned).
 *
 * Every child started here is remembered until it exits; `killAllChildren()` (afterAll) kills
 * whatever is left, stopped or not. Children also end by themselves when this process goes away:
 * the fixture server stops when its IPC channel closes, the scripts on stdin's end.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import type { CollaborationOptions } from '../../src/index.js'

const ROOT = process.cwd()
const running = new Set<ChildHandle>()

/** The child's stdout, one JSON value a line (anything else is kept as `{ text }`), awaited in order. */
export class JsonLines {
  private readonly lines: unknown[] = []
  private readonly waiters = new Set<() => void>()
  private consumed = 0

  push(line: string): void {
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      value = { text: line }
    }
    this.lines.push(value)
    for (const wake of this.waiters) wake()
  }

  /** The first line not yet taken that matches; earlier non-matching lines are skipped for good. */
  next<T>(matches: (line: T) => boolean, timeoutMs: number, what = 'a matching line'): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        while (this.consumed < this.lines.length) {
          const line = this.lines[this.consumed++] as T
          if (matches(line)) {
            resolve(line)
            return true
          }
        }
        return false
      }
      if (check()) return
      const timer = setTimeout(() => {
        this.waiters.delete(wake)
        reject(new Error(`no ${what} within ${timeoutMs} ms`))
      }, timeoutMs)
      const wake = () => {
        if (!check()) return
        clearTimeout(timer)
        this.waiters.delete(wake)
      }
      this.waiters.add(wake)
    })
  }
}

export interface ChildHandle {
  name: string
  pid: number
  process: ChildProcess
  /** stdout as JSON lines. */
  lines: JsonLines
  /** The last 20 000 characters of stdout and stderr, for failure messages. */
  output(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  isRunning(): boolean
  signal(signal: NodeJS.Signals): void
  /** SIGKILL (a stopped process dies too) and wait for the exit; nothing if already gone. */
  kill(): Promise<void>
}

/** The environment of a child: ours without jest's NODE_OPTIONS (--experimental-vm-modules). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  delete env.NODE_OPTIONS
  return env
}

export function spawnTsx(name: string, script: string, options: { env?: Record<string, string>; ipc?: boolean } = {}): ChildHandle {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(ROOT, script)], {
    cwd: ROOT,
    env: childEnv(options.env ?? {}),
    stdio: options.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error(`${name} did not start`)
  let output = ''
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-20_000)
  }
  const lines = new JsonLines()
  child.stdout!.setEncoding('utf8')
  child.stderr!.setEncoding('utf8')
  child.stderr!.on('data', keep)
  createInterface({ input: child.stdout! }).on('line', (line) => {
    keep(`${line}\n`)
    lines.push(line)
  })
  // A child that died must not make our writes to its stdin throw.
  child.stdin!.on('error', () => undefined)
  let running_ = true
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running_ = false
      running.delete(handle)
      resolve({ code, signal })
    }),
  )
  const handle: ChildHandle = {
    name,
    pid: child.pid,
    process: child,
    lines,
    output: () => output,
    exited,
    isRunning: () => running_,
    signal: (signal) => {
      if (running_) child.kill(signal)
    },
    kill: async () => {
      if (!running_) return
      child.kill('SIGKILL')
      await exited
    },
  }
  running.add(handle)
  return handle
}

/** Kills every child still running (afterAll). */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.kill()))
}

export interface ExampleProcess extends ChildHandle {
  url: string
  adminUrl: string
  port: number
}

export interface ExampleProcessOptions {
  redisUrl: string
  /** The same for every process that shares logins (their sessions are in Redis). */
  sessionSecret: string
  collaboration?: Partial<CollaborationOptions>
  startTimeoutMs?: number
}

/**
 * `test/fixture/server.ts` (with an IPC channel): it listens on a free port and reports it, with no
 * bundling. Resolves once it listens.
 */
export async function startExampleProcess(name: string, options: ExampleProcessOptions): Promise<ExampleProcess> {
  const child = spawnTsx(name, 'test/fixture/server.ts', {
    ipc: true,
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: options.redisUrl,
      SESSION_SECRET: options.sessionSecret,
      COLLABORATION_OPTIONS: JSON.stringify(options.collaboration ?? {}),
    },
  })
  const timeoutMs = options.startTimeoutMs ?? 45_000
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not listen within ${timeoutMs} ms`)), timeoutMs)
      child.process.once('message', (message: { listening?: number }) => {
        clearTimeout(timer)
        if (typeof message.listening === 'number') resolve(message.listening)
        else reject(new Error(`${name} sent ${JSON.stringify(message)}`))
      })
      void child.exited.then(({ code, signal }) => {
        clearTimeout(timer)
        reject(new Error(`${name} exited (${signal ?? `code ${code}`}) before listening`))
      })
    })
    const url = `http://127.0.0.1:${port}`
    return { ...child, url, adminUrl: `${url}/admin`, port }
  } catch (error) {
    await child.kill()
    throw new Error(`${(error as Error).message}\n--- ${name} output ---\n${child.output()}`)
  }
}
