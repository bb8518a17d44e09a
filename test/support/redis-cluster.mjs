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
import { freePort, portTaken, spawnRedisServer } from './redis-server.mjs'

const run = promisify(execFile)

/** One node: its port and process, started with its own bus port and config file in `dir`. */
async function startNode(dir) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnNode(dir, await freePort(), await freePort())
    } catch (error) {
      if (!portTaken(error) || attempt >= 5) throw error
    }
  }
}

function spawnNode(dir, port, busPort) {
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

const cli = (port, ...args) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 }).then(({ stdout }) => stdout)

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

/**
 * Starts the cluster, and starts it anew (other ports, a fresh directory) when an attempt fails:
 * on a loaded machine `redis-cli --cluster create` has been seen to time out or a node's port to
 * be taken meanwhile. The last attempt's error, with what redis-cli said, is thrown.
 */
export async function startRedisCluster(options = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisClusterOnce(options)
    } catch (error) {
      if (attempt >= 3) throw error
      console.warn(`Redis Cluster: attempt ${attempt} failed, starting it anew: ${error.message}`)
    }
  }
}

async function startRedisClusterOnce({ masters = 3, replicas = 0 }) {
  const dir = await mkdtemp(path.join(tmpdir(), 'collaborator-cluster-'))
  const nodes = []
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(await startNode(dir))
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], {
      timeout: 20000,
    }).catch((error) => {
      throw new Error(`redis-cli --cluster create failed (${error.killed ? 'timed out' : `exit ${error.code}`}): ${error.stdout ?? ''}${error.stderr ?? ''}`.slice(0, 2000))
    })
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
