/**
 * Types for `adminjs/bundler`. AdminJS 7 exports that entry point (`./lib/backend/bundler/index.js`)
 * without types: its declarations live in `adminjs/types/...`, which the package's `exports` map
 * hides under NodeNext resolution. Only what src/bundle-path.ts, example/app.ts and
 * test/fixture/bundle.ts use is declared, copied from node_modules/adminjs/types/src/backend/bundler/.
 */
declare module 'adminjs/bundler' {
  import type AdminJS from 'adminjs'

  /** The rollup wrapper AdminJS uses for user components (a process-wide singleton). */
  interface AssetBundler {
    build(): Promise<void>
    watch(): Promise<void>
    createEntry(options: { dir?: string; content: string }): Promise<void>
    getOutput(): Promise<string | null>
    setInputOption(key: string, value: unknown): this
    setOutputOption(key: string, value: unknown): this
  }

  export const componentsBundler: AssetBundler
  /** The class, for its list of modules left to the page's globals (react, adminjs, ...). */
  export const AssetBundler: { DEFAULT_EXTERNALS: string[] }
  export function generateUserComponentEntry(admin: AdminJS, entryPath: string): string
  /** `process.env.ADMIN_JS_TMP_DIR` or '.adminjs', read once when adminjs is imported; relative to the cwd. */
  export const ADMIN_JS_TMP_DIR: string
}
