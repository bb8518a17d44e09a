/** Extra posts for the bench's fixture admins: every process seeded alike gets the same ids. */
import type { FixtureApp } from '../../test/fixture/app.js'

export async function seedPosts(target: FixtureApp, count: number): Promise<void> {
  const at = new Date().toISOString().replace('T', ' ').replace('Z', '')
  for (let done = 0; done < count; done += 500) {
    const rows = Array.from({ length: Math.min(500, count - done) }, (_, i) => `('bench post ${done + i}', '', 'draft', '${at}')`)
    await target.dataSource.query(`INSERT INTO post (title, body, status, updatedAt) VALUES ${rows.join(',')}`)
  }
}
