/**
 * A Map that allocates its table on the first `set`. Every connected socket has two (what it joined,
 * and the spellings of record ids it used): an empty Map is about 190 bytes in V8, this about 30, and
 * at 10,000 idle sockets most of them stay empty. Only the part of Map's interface the server uses.
 */
export class LazyMap<K, V> {
  private map: Map<K, V> | undefined = undefined

  get size(): number {
    return this.map?.size ?? 0
  }

  get(key: K): V | undefined {
    return this.map?.get(key)
  }

  has(key: K): boolean {
    return this.map?.has(key) ?? false
  }

  set(key: K, value: V): this {
    ;(this.map ??= new Map()).set(key, value)
    return this
  }

  delete(key: K): boolean {
    if (!this.map?.delete(key)) return false
    if (this.map.size === 0) this.map = undefined
    return true
  }

  clear(): void {
    this.map = undefined
  }

  values(): IterableIterator<V> {
    return (this.map ?? EMPTY).values() as IterableIterator<V>
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return (this.map ?? EMPTY)[Symbol.iterator]() as IterableIterator<[K, V]>
  }
}

const EMPTY: ReadonlyMap<unknown, unknown> = new Map()

/**
 * Spellings of record keys → the record's own key. A spelling that is the key itself is no alias
 * (a lookup falls back to the spelling), so it is not kept: a socket that always sends ids as the
 * resource returns them (every page does) keeps an empty map.
 */
export class AliasMap extends LazyMap<string, string> {
  override set(alias: string, key: string): this {
    if (alias === key) {
      this.delete(alias)
      return this
    }
    return super.set(alias, key)
  }
}
