// npm here reaches a registry that lacks other platforms' optional packages (e.g. @rollup/rollup-darwin-arm64),
// so `npm install` leaves them out of package-lock.json and `npm ci` then refuses the lock as out of
// sync. This adds an `optional` entry for each missing one: npm ci skips what it cannot fetch.
// Run after every `npm install` that changes dependencies: `node .ci/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs'
const file = process.argv[2] ?? 'package-lock.json'
const lock = JSON.parse(readFileSync(file, 'utf8'))
let added = 0
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path ? `${path}/node_modules/${name}` : `node_modules/${name}`
    if (lock.packages[base] || lock.packages[`node_modules/${name}`]) continue
    lock.packages[`node_modules/${name}`] = { version, dev: entry.dev, optional: true }
    added++
  }
}
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n')
console.log(`added ${added}`)
