#!/usr/bin/env node
/**
 * `npm test` runs this: jest on native ESM, results written as JSON, then one plain closing line
 * `N passed, N failed` so that a run which executed no test is visible. Extra arguments go to jest.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, mkdirSync } from 'node:fs'

mkdirSync('test-results', { recursive: true })
const resultsFile = 'test-results/jest.json'
// --forceExit: the results are written before jest exits; a handle some library leaves open after
// the last test (seen once in a full run, not with any one file alone) must not keep CI waiting.
const jest = spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', '--json', `--outputFile=${resultsFile}`, '--forceExit', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings`.trim() },
})
let summary = '0 passed, 0 failed'
try {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'))
  summary = `${results.numPassedTests} passed, ${results.numFailedTests} failed`
  if (results.numPendingTests) summary += `, ${results.numPendingTests} skipped`
} catch {
  // jest crashed before writing results: the zero line and the exit code below tell.
}
console.log(summary)
process.exit(jest.status ?? 1)
