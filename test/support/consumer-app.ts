/**
 * A new AdminJS app outside this repository, as a user makes one: this package installed from its
 * packed tarball next to adminjs 7, @adminjs/express, express (4 or 5), express-session and TypeORM
 * on sql.js, from the npm registry (`--prefer-offline` reuses npm's cache). Its server is the
 * README's snippet (the block named `server.ts`), its "your app" module test/fixtures/consumer/.
 * The app is compiled with its own tsc (strict, NodeNext) and run as plain node: no loader of ours.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { readmeBlock } from './readme.js'
import { freePort } from './redis-server.mjs'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURE = path.join(REPO, 'test', 'fixtures', 'consumer')

/** What the README tells a user to install beside the package, per Express major. */
export function consumerDependencies(tarball: string, expressMajor: 4 | 5): Record<string, string> {
  return {
    'adminjs-collaborator': `file:${tarball}`,
    adminjs: '^7.8.17',
    '@adminjs/express': '^6.1.1',
    '@adminjs/typeorm': '^5.0.1',
    express: expressMajor === 4 ? '^4.21.2' : '^5.1.0',
    'express-formidable': '^1.2.0',
    'express-session': '^1.18.1',
    tslib: '^2.8.1',
    typeorm: '~0.3.20',
    'sql.js': '^1.12.0',
  }
}

export function consumerDevDependencies(expressMajor: 4 | 5): Record<string, string> {
  return {
    typescript: '~5.9.2',
    '@types/node': '^20.17.0',
    '@types/express': expressMajor === 4 ? '^4.17.21' : '^5.0.0',
    '@types/express-session': '^1.18.1',
  }
}

/** Our environment without jest's NODE_OPTIONS and NODE_ENV=test, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  delete env.NODE_OPTIONS
  delete env.NODE_ENV
  return { ...env, ...extra }
}

export interface RunResult {
  code: number | null
  output: string
}

/** Runs a command to its end. Rejects, with its output, when it fails (unless `allowFailure`). */
export function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string>; allowFailure?: boolean }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => {
      if (code === 0 || options.allowFailure) resolve({ code, output })
      else reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited with ${code}:\n${output.slice(-8000)}`))
    })
  })
}

const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']

/** `npm pack` of this repository into `dir` (runs `prepare`, so the build too); the tarball's path. */
export async function packRepository(dir: string): Promise<string> {
  await run('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { cwd: REPO })
  const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'))
  if (!tarball) throw new Error(`npm pack wrote no tarball to ${dir}`)
  return path.join(dir, tarball)
}

export interface ConsumerApp {
  dir: string
  /** tsc of the app (strict, NodeNext); resolves with its output, rejects on a type error. */
  compile(): Promise<RunResult>
  /** npm install in the app. */
  npmInstall(specs: string[], flags?: string[]): Promise<RunResult>
  remove(): void
}

/** Writes the app (package.json, tsconfig, your-app.ts, the README's server.ts) and installs it. */
export async function createConsumerApp(tarball: string, expressMajor: 4 | 5): Promise<ConsumerApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'adminjs-collaborator-consumer-'))
  mkdirSync(path.join(dir, 'src'))
  const packageJson = {
    name: 'consumer',
    private: true,
    type: 'module',
    dependencies: consumerDependencies(tarball, expressMajor),
    devDependencies: consumerDevDependencies(expressMajor),
  }
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(packageJson, null, 2))
  copyFileSync(path.join(FIXTURE, 'tsconfig.json'), path.join(dir, 'tsconfig.json'))
  copyFileSync(path.join(FIXTURE, 'your-app.ts'), path.join(dir, 'src', 'your-app.ts'))
  writeFileSync(path.join(dir, 'src', 'server.ts'), readmeBlock('server.ts').code)
  const app: ConsumerApp = {
    dir,
    compile: () => run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir }),
    npmInstall: (specs, flags = []) => run('npm', ['install', ...NPM_FLAGS, ...flags, ...specs], { cwd: dir }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
  await app.npmInstall([])
  return app
}

export interface RunningConsumer {
  adminUrl: string
  /** stdout and stderr so far. */
  output(): string
  stop(): Promise<void>
}

/**
 * Starts the compiled app (`node dist/server.js`) and resolves once its login page answers.
 * AdminJS's folders from an earlier start are removed first, so each start bundles afresh.
 */
export async function startConsumer(app: ConsumerApp, mode: 'development' | 'production', timeoutMs = 120_000): Promise<RunningConsumer> {
  for (const folder of ['.adminjs', 'adminjs-bundle']) rmSync(path.join(app.dir, folder), { recursive: true, force: true })
  // Compiled by the type-check test; a run of this test alone (jest -t) compiles here.
  if (!existsSync(path.join(app.dir, 'dist', 'server.js'))) await app.compile()
  const port = await freePort()
  const child: ChildProcess = spawn(process.execPath, ['dist/server.js'], {
    cwd: app.dir,
    env: childEnv({ NODE_ENV: mode, PORT: String(port), COOKIE_SECRET: 'a-test-secret-that-is-long-enough-0123456789' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let gone = false
  void exited.then(() => (gone = true))
  const stop = async () => {
    if (gone) return
    child.kill('SIGTERM') // the snippet closes the collaboration on SIGTERM
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000) // watch() keeps a watcher alive
    await exited
    clearTimeout(timer)
  }
  const adminUrl = `http://127.0.0.1:${port}/admin`
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (gone) throw new Error(`the consumer app (${mode}) exited before serving:\n${output}`)
    const status = await fetch(`${adminUrl}/login`).then(
      (response) => response.status,
      () => 0,
    )
    if (status === 200) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`the consumer app (${mode}) did not serve its login page within ${timeoutMs} ms:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return { adminUrl, output: () => output, stop }
}
