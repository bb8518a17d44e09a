/**
 * The example's database: TypeORM on sql.js, an SQLite compiled to WebAssembly that lives in memory.
 * No server to run and no native module to build, so `npm run example` and the tests work offline.
 *
 * Every column names its type: tsx (esbuild) emits no decorator metadata, so TypeORM could not
 * infer types there, while jest (SWC) does emit it. Explicit types make both behave the same.
 */
import {
  BaseEntity,
  BeforeInsert,
  BeforeUpdate,
  Column,
  DataSource,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm'

export const postStatuses = ['draft', 'in_review', 'published'] as const
export type PostStatus = (typeof postStatuses)[number]

/**
 * Declares fresh Post and Page classes on every call.
 *
 * Why not module-level classes: @adminjs/typeorm queries through BaseEntity's static methods
 * (`Post.findOneBy`), and TypeORM binds those to whichever DataSource was initialized LAST
 * (`DataSource.buildMetadatas` calls `Entity.useDataSource(this)`). Two example apps in one process
 * (tests do that) would then both read and write the second app's database. Classes per data source
 * keep each app on its own database. Each call adds a few entries to TypeORM's global metadata
 * storage, which is negligible for an example and for tests.
 */
export function defineEntities() {
  @Entity({ name: 'post' })
  class Post extends BaseEntity {
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
     * tell two saves apart in the same second (stale-save detection compares this value). Setting
     * it from JS keeps milliseconds, and TypeORM then writes our value instead of its default.
     */
    @BeforeInsert()
    @BeforeUpdate()
    touch(): void {
      this.updatedAt = new Date()
    }
  }

  @Entity({ name: 'page' })
  class Page extends BaseEntity {
    // A string primary key of another shape than Post's number: the collaboration must not assume ids.
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

  return { Post, Page }
}

export type ExampleEntities = ReturnType<typeof defineEntities>
export type PostEntity = InstanceType<ExampleEntities['Post']>
export type PageEntity = InstanceType<ExampleEntities['Page']>
/** A row as plain data (no entity methods), what tests compare before and after a request. */
export type PostRow = Pick<PostEntity, 'id' | 'title' | 'body' | 'status' | 'updatedAt'>
export type PageRow = Pick<PageEntity, 'id' | 'slug' | 'title' | 'content' | 'updatedAt'>

export interface ExampleDatabase {
  dataSource: DataSource
  entities: ExampleEntities
}

/** Reads that tests use to check what really reached the database, bypassing AdminJS. */
export interface ExampleQueries {
  /** Post ids in creation order. */
  postIds(): Promise<number[]>
  /** Page ids (UUIDs) ordered by slug: 'about', then 'contact'. */
  pageIds(): Promise<string[]>
  /** The post as plain data, or null; `id` as AdminJS sends it (a string) or a number. */
  postById(id: string | number): Promise<PostRow | null>
  pageById(id: string): Promise<PageRow | null>
}

export function exampleQueries({ dataSource, entities }: ExampleDatabase): ExampleQueries {
  // Repositories of this data source, not BaseEntity statics: see defineEntities.
  const posts = dataSource.getRepository(entities.Post)
  const pages = dataSource.getRepository(entities.Page)
  // Spreading copies the column values (own fields) into a plain object without the entity's methods.
  const plain = <T extends object>(row: T | null): T | null => (row ? { ...row } : null)
  return {
    postIds: async () => (await posts.find({ select: { id: true }, order: { id: 'ASC' } })).map((post) => post.id),
    pageIds: async () => (await pages.find({ select: { id: true }, order: { slug: 'ASC' } })).map((page) => page.id),
    postById: async (id) => {
      const numeric = Number(id)
      if (!Number.isSafeInteger(numeric)) return null
      return plain(await posts.findOneBy({ id: numeric }))
    },
    pageById: async (id) => plain(await pages.findOneBy({ id })),
  }
}

/** Opens a new, empty in-memory database with the example's tables, and seeds it. */
export async function createExampleDatabase(): Promise<ExampleDatabase> {
  const entities = defineEntities()
  const dataSource = new DataSource({
    type: 'sqljs',
    entities: [entities.Post, entities.Page],
    synchronize: true, // creates the tables in the fresh in-memory database
    logging: false,
  })
  await dataSource.initialize()
  await seed(entities)
  return { dataSource, entities }
}

async function seed({ Post, Page }: ExampleEntities): Promise<void> {
  const posts: Array<Pick<PostEntity, 'title' | 'body' | 'status'>> = [
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
  const pages: Array<Pick<PageEntity, 'id' | 'slug' | 'title' | 'content'>> = [
    { id: '3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a60', slug: 'about', title: 'About us', content: 'We build tools that let teams edit content together without stepping on each other.' },
    { id: '8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d', slug: 'contact', title: 'Contact', content: 'Write to hello@example.com.' },
  ]
  for (const fields of pages) await Object.assign(new Page(), fields).save()
}
