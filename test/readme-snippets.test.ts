/**
 * What a reader copies from the README works: every TypeScript block compiles under strict
 * TypeScript with NodeNext modules against this package's types (its sources, mapped to the
 * package name as an install would expose them), and the proxy configurations pass `nginx -t` and
 * `caddy validate` where those programs are installed. test/package-install.test.ts additionally
 * compiles and runs the `server.ts` block in a real install, against Express 4 and 5 types.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readmeBlocks } from './support/readme.js'
import { REPO, run } from './support/consumer-app.js'

function installed(program: string): boolean {
  return spawnSync(program, ['-v'], { stdio: 'ignore' }).error === undefined
}

test('the README has the blocks the tests rely on', () => {
  const names = readmeBlocks().flatMap((block) => (block.name ? [block.name] : []))
  expect(names).toEqual(expect.arrayContaining(['server.ts', 'nginx.conf', 'Caddyfile']))
  expect(readmeBlocks('ts').length).toBeGreaterThanOrEqual(2)
})

test('every TypeScript block compiles (strict, NodeNext) against the package types', async () => {
  // Inside the repository, so `adminjs`, `express`, ... resolve from its node_modules; under
  // test-results/ (ignored by git), removed afterwards.
  mkdirSync(path.join(REPO, 'test-results'), { recursive: true })
  const dir = mkdtempSync(path.join(REPO, 'test-results', 'readme-snippets-'))
  try {
    copyFileSync(path.join(REPO, 'test', 'fixtures', 'consumer', 'your-app.ts'), path.join(dir, 'your-app.ts'))
    const files = readmeBlocks('ts').map((block) => {
      const file = `readme-line-${block.line}.ts`
      // Each block is its own module, whatever it imports.
      writeFileSync(path.join(dir, file), `${block.code}\nexport {}\n`)
      return file
    })
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        noEmit: true,
        types: ['node'],
        paths: { 'adminjs-collaborator': [path.join(REPO, 'src', 'index.ts')] },
      },
      // The sources' own declaration of adminjs/bundler (the built .d.ts files do not need it).
      files: [path.join(REPO, 'src', 'adminjs-bundler.d.ts'), 'your-app.ts', ...files],
    }
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
    const result = await run(process.execPath, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, allowFailure: true })
    // Errors name the file, and the file names the README line of its block.
    expect(result.output).toBe('')
    expect(result.code).toBe(0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}, 120_000)

const nginxTest = installed('nginx') ? test : test.skip
nginxTest('the nginx configuration passes nginx -t', async () => {
  const block = readmeBlocks().find((candidate) => candidate.name === 'nginx.conf')!
  const dir = mkdtempSync(path.join(os.tmpdir(), 'readme-nginx-'))
  try {
    // The README shows the http-level part; nginx needs a main context around it.
    const conf = `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents {}\nhttp {\naccess_log off;\n${block.code}}\n`
    writeFileSync(path.join(dir, 'nginx.conf'), conf)
    const result = await run('nginx', ['-t', '-p', dir, '-c', path.join(dir, 'nginx.conf')], { cwd: dir, allowFailure: true })
    expect(result.output).toContain('syntax is ok')
    expect(result.code).toBe(0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

const caddyTest = installed('caddy') ? test : test.skip
caddyTest('the Caddyfile passes caddy validate', async () => {
  const block = readmeBlocks().find((candidate) => candidate.name === 'Caddyfile')!
  const dir = mkdtempSync(path.join(os.tmpdir(), 'readme-caddy-'))
  try {
    writeFileSync(path.join(dir, 'Caddyfile'), block.code)
    const result = await run('caddy', ['validate', '--config', path.join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
      cwd: dir,
      env: { HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
      allowFailure: true,
    })
    expect(result.output).toContain('Valid configuration')
    expect(result.code).toBe(0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
