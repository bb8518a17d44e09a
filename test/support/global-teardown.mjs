export default async function globalTeardown() {
  await globalThis.__testRedisServer?.stop()
}
