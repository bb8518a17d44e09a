/**
 * Code blocks of the README, so tests run what a reader copies. A block may be named by an HTML
 * comment on the line before its fence (`<!-- file: server.ts -->`), invisible where the README is
 * rendered; tests find the consumer program by that name.
 */
import { readFileSync } from 'node:fs'

export interface CodeBlock {
  lang: string
  code: string
  /** 1-based line of the opening fence, for failure messages. */
  line: number
  name?: string
}

export const README_PATH = new URL('../../README.md', import.meta.url)

export function readmeBlocks(lang?: string): CodeBlock[] {
  const lines = readFileSync(README_PATH, 'utf8').split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i] ?? '')
    if (!open) continue
    const end = lines.findIndex((text, j) => j > i && text.startsWith('```'))
    if (end < 0) throw new Error(`README.md:${i + 1}: code block never closed`)
    const named = /^<!--\s*file:\s*(\S+)\s*-->$/.exec(lines[i - 1] ?? '')
    blocks.push({ lang: open[1] ?? '', code: lines.slice(i + 1, end).join('\n') + '\n', line: i + 1, ...(named ? { name: named[1] } : {}) })
    i = end
  }
  return lang === undefined ? blocks : blocks.filter((block) => block.lang === lang)
}

export function readmeBlock(name: string): CodeBlock {
  const block = readmeBlocks().find((candidate) => candidate.name === name)
  if (!block) throw new Error(`README.md has no code block named ${name} (<!-- file: ${name} --> before its fence)`)
  return block
}
