/**
 * Keeps AdminJS's production bundle of custom components servable by Express 5.
 *
 * In production AdminJS writes the bundle to `.adminjs/bundle.js` (under `ADMIN_JS_TMP_DIR`) and
 * @adminjs/express serves it with `res.sendFile`. Express 5's `send` refuses every path with a
 * segment that starts with a dot (Express 4's only refused a dot file name), so the browser gets a
 * 404 for `components.bundle.js`: no custom component loads (AdminJS issue 1746). This feature
 * replaces the edit and show pages, so with that 404 nobody could edit at all.
 *
 * The fix moves only the bundle's output to a folder without a dot, `adminjs-bundle/` in the working
 * directory, beside AdminJS's own `.adminjs/`: both the bundler and the served asset read the same
 * mutable settings (AdminJS keeps them as process-wide singletons), so the bundle is built where it is
 * served. Express 4 serves either path, so the move is done whatever the Express version.
 */
import path from 'node:path'
import { Router } from 'adminjs'
import { componentsBundler } from 'adminjs/bundler'

/** The route @adminjs/express serves the bundle from (AdminJS lists it as an asset in production only). */
export const COMPONENTS_BUNDLE_ASSET = '/frontend/assets/components.bundle.js'
/** Where the bundle goes instead, relative to the working directory (as AdminJS's own folder is). */
export const DOTLESS_BUNDLE_FILE = path.join('adminjs-bundle', 'components.bundle.js')

export type BundlePathOutcome =
  | { kind: 'development' } // served by a route that reads the file itself: nothing to do
  | { kind: 'servable'; file: string } // no dot in the path already
  | { kind: 'moved'; from: string; file: string }
  | { kind: 'prebuilt'; file: string } // ADMIN_JS_SKIP_BUNDLE: the user's own build, left alone

function hasDotSegment(file: string): boolean {
  const relative = path.relative(process.cwd(), file)
  return relative.split(path.sep).some((segment) => segment.startsWith('.') && segment !== '..')
}

let outcome: BundlePathOutcome | undefined

/**
 * Idempotent; call before `admin.initialize()` builds (the feature calls it when AdminJS applies it,
 * inside `new AdminJS()`). Returns what it did, and warns once when it cannot help.
 */
export function keepComponentsBundleServable(warn: (message: string) => void): BundlePathOutcome {
  if (outcome) return outcome
  const asset = Router.assets.find((candidate) => candidate.path === COMPONENTS_BUNDLE_ASSET)
  if (!asset) return (outcome = { kind: 'development' })
  const current = path.resolve(asset.src)
  if (!hasDotSegment(current)) return (outcome = { kind: 'servable', file: current })
  if (process.env.ADMIN_JS_SKIP_BUNDLE === 'true') {
    warn(
      `adminjs-collaborator: AdminJS serves its prebuilt components bundle from ${current}; Express 5 refuses paths with a dot folder, ` +
        'so the edit and show pages would stay empty. Build and run with ADMIN_JS_TMP_DIR set to a folder without a dot (e.g. ADMIN_JS_TMP_DIR=adminjs-bundle).',
    )
    return (outcome = { kind: 'prebuilt', file: current })
  }
  const file = path.resolve(DOTLESS_BUNDLE_FILE)
  componentsBundler.setOutputOption('file', file)
  asset.src = file // @adminjs/express reads `asset.src` on every request
  return (outcome = { kind: 'moved', from: current, file })
}
