/**
 * Bundles the admin's custom components once, without a file watcher, for tests and demos that
 * need the browser side but must be able to exit.
 *
 * How the browser gets it: outside production, @adminjs/express serves
 * `<rootPath>/frontend/assets/components.bundle.js` through AdminJS's `bundleComponents` action, which
 * returns `componentsBundler.getOutput()` (the file the bundler last wrote) and only builds on demand
 * when that file is missing. So building here, before the server listens, means the first page load
 * gets the current components. (In production AdminJS serves the file as a static asset instead and
 * builds it in `admin.initialize()`; this example is not meant to run with NODE_ENV=production.)
 */
import { mkdir, readdir, rm } from 'node:fs/promises'
import path from 'node:path'
import type AdminJS from 'adminjs'
import { ADMIN_JS_TMP_DIR, componentsBundler, generateUserComponentEntry } from 'adminjs/bundler'

const DIR_PREFIX = 'example-'

/**
 * AdminJS's default bundle path (`.adminjs/bundle.js` under the cwd) is shared by every process
 * started in the same directory: parallel jest workers would overwrite each other's entry and serve
 * half-written bundles. Each process therefore builds into its own folder, named by pid, and points
 * AdminJS's bundler singleton there (the serving route reads from wherever the bundler writes).
 */
const buildDir = path.resolve(ADMIN_JS_TMP_DIR, `${DIR_PREFIX}${process.pid}`)

/** The last build of this process: an app started with the same components reuses it. */
let lastBuild: { entry: string; done: Promise<void> } | undefined

export async function bundleComponentsOnce(admin: AdminJS): Promise<void> {
  const entry = generateUserComponentEntry(admin, buildDir)
  if (lastBuild?.entry === entry) return lastBuild.done
  // Builds run one after another: they share the bundler singleton and its files.
  const previous = lastBuild?.done.catch(() => undefined) ?? removeDirsOfDeadProcesses()
  const done = previous.then(async () => {
    componentsBundler.setInputOption('input', path.join(buildDir, 'entry.js'))
    componentsBundler.setOutputOption('file', path.join(buildDir, 'bundle.js'))
    await componentsBundler.createEntry({ dir: buildDir, content: entry })
    await componentsBundler.build()
  })
  const current = { entry, done }
  lastBuild = current
  // A failed build is not remembered, so the next start tries again.
  done.catch(() => {
    if (lastBuild === current) lastBuild = undefined
  })
  return done
}

/** Folders of processes that ended (killed test workers leave theirs behind) are swept once. */
async function removeDirsOfDeadProcesses(): Promise<void> {
  await mkdir(ADMIN_JS_TMP_DIR, { recursive: true })
  for (const name of await readdir(ADMIN_JS_TMP_DIR)) {
    const pid = Number(name.slice(DIR_PREFIX.length))
    if (!name.startsWith(DIR_PREFIX) || !Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue
    await rm(path.join(ADMIN_JS_TMP_DIR, name), { recursive: true, force: true })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0) // signal 0 only checks that the process exists
    return true
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
