/**
 * `npx tsx bench/tools/profile-top.ts file.cpuprofile [--top=30] [--filter=text]`
 *
 * A V8 CPU profile (`node --cpu-prof`) as the functions with the most self time, with the share of
 * the busy time (idle and the program's own waiting left out) and where each is defined. Total time
 * per function (self plus callees) too, for frames of the package (`/src/`).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)'])

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame
  const where = url ? `${url.replace(/^.*\/(node_modules|src|bench|test)\//, '$1/')}:${lineNumber + 1}` : ''
  return `${functionName || '(anonymous)'} ${where}`.trim()
}

export function printTop(path: string, top: number, filter?: string): void {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const self = new Map<number, number>()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))

  const selfByLabel = new Map<string, number>()
  const totalByLabel = new Map<string, number>()
  let busy = 0
  let gc = 0
  // The profiler's own work (the inspector session that stops it) is not the server's.
  const inspector = (id: number) => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (byId.get(at)!.callFrame.url === 'node:inspector') return true
    return false
  }
  for (const [id, us] of self) {
    const node = byId.get(id)!
    const name = node.callFrame.functionName
    if (inspector(id)) continue
    if (name === '(garbage collector)') gc += us
    if (IDLE.has(name) && name !== '(garbage collector)') continue
    busy += us
    selfByLabel.set(label(node), (selfByLabel.get(label(node)) ?? 0) + us)
    // Total: every distinct frame on the stack of this sample, once.
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!)
      if (seen.has(l)) continue
      seen.add(l)
      totalByLabel.set(l, (totalByLabel.get(l) ?? 0) + us)
    }
  }
  const ms = (us: number) => `${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%`
  console.log(`busy ${(busy / 1000).toFixed(0)} ms (gc ${(gc / 1000).toFixed(0)} ms); top ${top} by self time:`)
  const pick = (map: Map<string, number>) => [...map].filter(([l]) => !filter || l.includes(filter)).sort((a, b) => b[1] - a[1])
  for (const [l, us] of pick(selfByLabel).slice(0, top)) console.log(`${ms(us)}  ${l}`)
  console.log(`\ntop ${top} by total time, frames of src/:`)
  for (const [l, us] of pick(totalByLabel)
    .filter(([l]) => l.includes(' src/'))
    .slice(0, top))
    console.log(`${ms(us)}  ${l}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const file = args.find((arg) => !arg.startsWith('--'))
  if (!file) throw new Error('usage: profile-top.ts file.cpuprofile [--top=30] [--filter=text]')
  const top = Number(args.find((arg) => arg.startsWith('--top='))?.slice(6) ?? 30)
  printTop(file, top, args.find((arg) => arg.startsWith('--filter='))?.slice(9))
}
