/**
 * The example's database: TypeORM on sql.js, an SQLite compiled to WebAssembly that lives in memory.
 * No server to run and no native module to build, so `npm run example` works offline.
 *
 * Every column names its type: tsx (esbuild) emits no decorator metadata, so TypeORM could not
 * infer types from the TypeScript ones.
 */
import { BaseEntity, BeforeInsert, BeforeUpdate, Column, DataSource, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm'

export const postStatuses = ['draft', 'in_review', 'published'] as const
export type PostStatus = (typeof postStatuses)[number]

@Entity({ name: 'post' })
export class Post extends BaseEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number

  @Column({ type: 'varchar', length: 200 })
  title!: string

  @Column({ type: 'text', default: '' })
  body!: string

  // simple-enum: stored as text with a CHECK, and @adminjs/typeorm offers the values as a select.
  @Column({ type: 'simple-enum', enum: postStatuses, default: 'draft' })
  status!: PostStatus

  @UpdateDateColumn({ type: 'datetime' })
  updatedAt!: Date

  /**
   * SQLite's own update timestamp (CURRENT_TIMESTAMP) has whole-second resolution, too coarse to
   * tell two saves apart in the same second (the collaboration's stale-save check compares this
   * value). Setting it from JS keeps milliseconds, and TypeORM then writes our value.
   */
  @BeforeInsert()
  @BeforeUpdate()
  touch(): void {
    this.updatedAt = new Date()
  }
}

@Entity({ name: 'page' })
export class Page extends BaseEntity {
  // A string primary key, another shape than Post's number: the collaboration assumes no id type.
  @PrimaryGeneratedColumn('uuid')
  id!: string

  @Column({ type: 'varchar', length: 120, unique: true })
  slug!: string

  @Column({ type: 'varchar', length: 200 })
  title!: string

  @Column({ type: 'text', default: '' })
  content!: string

  @UpdateDateColumn({ type: 'datetime' })
  updatedAt!: Date

  /** See Post.touch: millisecond timestamps. */
  @BeforeInsert()
  @BeforeUpdate()
  touch(): void {
    this.updatedAt = new Date()
  }
}

/** Opens a new in-memory database with the example's tables and a few posts and pages. */
export async function openExampleDatabase(): Promise<DataSource> {
  const dataSource = new DataSource({
    type: 'sqljs',
    entities: [Post, Page],
    synchronize: true, // creates the tables in the fresh in-memory database
    logging: false,
  })
  await dataSource.initialize()
  await seed()
  return dataSource
}

async function seed(): Promise<void> {
  const posts: Array<Pick<Post, 'title' | 'body' | 'status'>> = [
    {
      title: 'Welcome to the collaborative admin',
      body: 'Open this post in two browsers as two different users: the second one sees who is editing.',
      status: 'published',
    },
    {
      title: 'Release notes draft',
      body: 'What changed in this release, written by the whole team.\n\n- Edit locks\n- Presence\n- Chat',
      status: 'draft',
    },
    {
      title: 'Style guide',
      body: 'Short sentences. One idea per paragraph. Say why, not only what.',
      status: 'in_review',
    },
  ]
  for (const fields of posts) await Object.assign(new Post(), fields).save()

  // Fixed ids: every process of `npm run example:cluster` seeds its own database, and a socket on
  // any process must find the record a page on another process shows (posts number from 1 alike).
  const pages: Array<Pick<Page, 'id' | 'slug' | 'title' | 'content'>> = [
    {
      id: '3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a60',
      slug: 'about',
      title: 'About us',
      content: 'We build tools that let teams edit content together without stepping on each other.',
    },
    { id: '8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d', slug: 'contact', title: 'Contact', content: 'Write to hello@example.com.' },
  ]
  for (const fields of pages) await Object.assign(new Page(), fields).save()
}
