/**
 * The Redis Cluster hash slot of a key (0-16383, hash tags honoured): ioredis's own function, from
 * its dependency `cluster-key-slot`. That package ships no types, and an ambient declaration would
 * not reach a program that compiles these sources from outside (the README's snippets do): so it is
 * loaded and typed here, once.
 */
import { createRequire } from 'node:module'

export const slotOf = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number
