/** Types for redis-cluster.mjs, so TypeScript tests can import it. */
import type { RedisServer } from './redis-server.mjs'

export interface RedisCluster {
  nodes: RedisServer[]
  urls: string[]
  masterPorts(): Promise<number[]>
  ok(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

export function startRedisCluster(options?: { masters?: number; replicas?: number }): Promise<RedisCluster>
