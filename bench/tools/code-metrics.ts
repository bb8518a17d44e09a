/**
 * `npx tsx bench/tools/code-metrics.ts [ref-dir]`: lines per module and the longest functions of
 * src/ and components/, as the maintainability figures of a redesign are reported (before/after).
 * Counts non-blank lines; a function is any function-like node (declaration, method, arrow).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import ts from 'typescript'

const root = process.argv[2] ?? process.cwd()

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return files(full)
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [full] : []
  })
}

const modules: Array<{ file: string; lines: number }> = []
const functions: Array<{ where: string; lines: number }> = []
for (const dir of ['src', 'components']) {
  for (const file of files(path.join(root, dir))) {
    const text = readFileSync(file, 'utf8')
    const rel = path.relative(root, file)
    modules.push({ file: rel, lines: text.split('\n').filter((line) => line.trim() !== '').length })
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS)
    const visit = (node: ts.Node) => {
      if (ts.isFunctionLike(node) && 'body' in node && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart()).line
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
        const name = (node as ts.FunctionLikeDeclaration).name?.getText() ?? `(anonymous at ${start + 1})`
        functions.push({ where: `${rel}:${start + 1} ${name}`, lines: end - start + 1 })
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
}
modules.sort((a, b) => b.lines - a.lines)
functions.sort((a, b) => b.lines - a.lines)
const total = modules.reduce((sum, m) => sum + m.lines, 0)
console.log(`modules: ${modules.length}, non-blank lines: ${total}, mean ${Math.round(total / modules.length)}, largest:`)
for (const m of modules.slice(0, 10)) console.log(`  ${String(m.lines).padStart(5)}  ${m.file}`)
console.log('longest functions:')
for (const f of functions.slice(0, 8)) console.log(`  ${String(f.lines).padStart(5)}  ${f.where}`)
