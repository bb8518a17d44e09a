/** Types for redis-server.mjs, so TypeScript tests can import it. */
import type { ChildProcess } from 'node:child_process'

export function freePort(): Promise<number>

export function portTaken(error: unknown): boolean

export function onFreePort<T>(start: (port: number) => Promise<T>, attempts?: number): Promise<T>

export interface RedisServer {
  port: number
  url: string
  process: ChildProcess
  stop(): Promise<void>
}

export function startRedisServer(port?: number): Promise<RedisServer>

export function spawnRedisServer(port: number, args: string[], label: string): Promise<RedisServer>
