/**
 * What `npm pack` ships, read from `npm pack --dry-run --json` (which runs `prepare`, so the build):
 * the build with self-contained source maps, the components AdminJS bundles at the user's start-up
 * and the few sources they import, the Lua scripts, the licence; nothing else. Every import of a
 * shipped file resolves to a shipped file or to a declared dependency.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { AssetBundler } from 'adminjs/bundler'
import { REPO, run } from './support/consumer-app.js'

interface PackedFile {
  path: string
}

let files: string[]
const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  license: string
  repository?: { type: string; url: string }
  scripts: Record<string, string>
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
}

beforeAll(async () => {
  const { output } = await run('npm', ['pack', '--dry-run', '--json', '--loglevel=error'], { cwd: REPO })
  // Lifecycle output (the build) may precede the JSON.
  const json = output.slice(output.search(/^\[/m))
  const [pack] = JSON.parse(json.slice(0, json.lastIndexOf(']') + 1)) as [{ files: PackedFile[] }]
  files = pack.files.map((file) => file.path).sort()
}, 120_000)

const read = (file: string) => readFileSync(path.join(REPO, file), 'utf8')

/** `import ... from 'x'` and `import('x')` specifiers of a source or declaration file. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((match) => match[1]!)
}

test('ships the build, its maps, the Lua scripts, the components, the three sources they import and the licence', () => {
  for (const file of [
    'LICENSE',
    'README.md',
    'package.json',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'dist/src/index.js.map',
    'dist/src/store/lua/lockClaim-8.lua',
    'dist/src/store/lua/include/lease.lua',
    'components/CollaboratorEdit.tsx',
    'components/CollaboratorShow.tsx',
    'src/protocol.ts',
    'src/texts.ts',
    'src/component-config.ts',
  ]) {
    expect(files).toContain(file)
  }
  const sources = files.filter((file) => file.startsWith('src/'))
  expect(sources).toEqual(['src/component-config.ts', 'src/protocol.ts', 'src/texts.ts'])
  expect(files.filter((file) => /^(test|example|bench|\.ci)\//.test(file) || /tsconfig/.test(file) || file.endsWith('.test.ts'))).toEqual([])
  // Each Lua script of the sources is in the build (redis-scripts.js reads them next to itself).
  const luaSources = readdirSync(path.join(REPO, 'src/store/lua'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.lua'))
  expect(luaSources.length).toBeGreaterThan(0)
  for (const file of luaSources) expect(files).toContain(`dist/src/store/lua/${file.split(path.sep).join('/')}`)
})

test('source maps carry their sources, so the sources need not be shipped twice', () => {
  const maps = files.filter((file) => file.endsWith('.js.map'))
  expect(maps.length).toBe(files.filter((file) => file.startsWith('dist/') && file.endsWith('.js')).length)
  for (const map of maps) {
    const parsed = JSON.parse(read(map)) as { sources: string[]; sourcesContent?: Array<string | null> }
    expect({ map, complete: parsed.sourcesContent?.length === parsed.sources.length && parsed.sourcesContent.every((content) => typeof content === 'string') }).toEqual({
      map,
      complete: true,
    })
  }
})

test('every relative import of a shipped file is shipped, every package import is a dependency', () => {
  const shipped = new Set(files)
  const declared = new Set([...Object.keys(manifest.dependencies), ...Object.keys(manifest.peerDependencies)])
  const problems: string[] = []
  for (const file of files.filter((candidate) => /\.(js|ts|tsx)$/.test(candidate))) {
    for (const specifier of specifiers(read(file))) {
      if (specifier.startsWith('.')) {
        const base = path.posix.join(path.posix.dirname(file), specifier)
        const candidates = [base, base.replace(/\.js$/, '.d.ts'), base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]
        if (!candidates.some((candidate) => shipped.has(candidate))) problems.push(`${file}: ${specifier}`)
      } else if (!specifier.startsWith('node:')) {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!
        // In components, AdminJS's bundler maps its externals (react, react-router, ...) to the page's globals.
        const global = file.startsWith('components/') && AssetBundler.DEFAULT_EXTERNALS.includes(specifier)
        if (!declared.has(name) && !global) problems.push(`${file}: ${specifier}`)
      }
    }
  }
  expect(problems).toEqual([])
})

test('package.json: licence file, repository, a prepare script that builds', () => {
  expect(manifest.license).toBe('MIT')
  expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 adminjs-collaborator contributors/)
  expect(manifest.repository).toEqual({ type: 'git', url: 'git+https://github.com/adminjs-collaborator/adminjs-collaborator.git' })
  expect(manifest.scripts.prepare).toBe('npm run build')
})

test('README images are repository-relative paths to committed files (GitHub and npm render those)', async () => {
  const images = [...read('README.md').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((match) => match[1]!)
  expect(images.length).toBeGreaterThan(0)
  const { output } = await run('git', ['ls-files', ...images], { cwd: REPO })
  for (const image of images) {
    expect(image).not.toMatch(/^(https?:)?\/\//)
    expect(existsSync(path.join(REPO, image))).toBe(true)
    expect(output.split('\n')).toContain(image)
  }
})
