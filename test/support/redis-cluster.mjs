/**
 * Starts a throwaway Redis Cluster on ports the OS picks (and their cluster bus ports, also
 * picked), keeping nothing on disk but each node's cluster config in a temporary directory:
 * `masters` masters, each with `replicas` replicas. Resolves once every node says cluster_state:ok
 * and agrees on the slots. Used by the tests that run the store on a cluster.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { freePort, spawnRedisServer } from './redis-server.mjs'

const run = promisify(execFile)

/** One node: its port and process, started with its own bus port and config file in `dir`. */
async function startNode(dir) {
  const port = await freePort()
  const busPort = await freePort()
  return spawnRedisServer(
    port,
    [
      '--cluster-enabled',
      'yes',
      '--cluster-port',
      String(busPort),
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '1000',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    'redis-server (cluster node)',
  )
}

const cli = (port, ...args) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]).then(({ stdout }) => stdout)

/** Polls until `check()` is true, at most `timeoutMs`. */
async function until(what, check, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`Redis Cluster: timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Every node of `nodes` that runs says the cluster is ok. */
const allOk = async (nodes) => {
  for (const node of nodes) {
    if (node.process.exitCode !== null || node.process.signalCode !== null) continue
    if (!/cluster_state:ok/.test(await cli(node.port, 'cluster', 'info'))) return false
  }
  return true
}

export async function startRedisCluster({ masters = 3, replicas = 0 } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'collaborator-cluster-'))
  const nodes = []
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(await startNode(dir))
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'])
    await until('cluster_state:ok', () => allOk(nodes))
    // Every node knows every other one (the replicas too), so a client finds them all.
    await until('every node to know the others', async () => {
      for (const node of nodes) {
        const known = (await cli(node.port, 'cluster', 'nodes'))
          .trim()
          .split('\n')
          .filter((line) => !/fail|handshake|noaddr/.test(line.split(' ')[2] ?? ''))
        if (known.length !== nodes.length) return false
      }
      return true
    })
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()))
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    /** The ports of the masters now (they change with a failover). */
    async masterPorts() {
      const alive = nodes.find((node) => node.process.exitCode === null && node.process.signalCode === null)
      const lines = (await cli(alive.port, 'cluster', 'nodes')).trim().split('\n')
      return lines.filter((line) => /master/.test(line.split(' ')[2]) && !/fail/.test(line.split(' ')[2])).map((line) => Number(line.split(' ')[1].split(':')[1].split('@')[0]))
    },
    /** Resolves once the nodes still running say cluster_state:ok (after a failover, say). */
    ok: (timeoutMs) => until('cluster_state:ok', () => allOk(nodes), timeoutMs),
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()))
      await rm(dir, { recursive: true, force: true })
    },
  }
}
