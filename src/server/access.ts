/**
 * May this admin be on this record? Asked on every join, with AdminJS's own permission checks
 * (`isAccessible` of the edit or show action, given the loaded record), so the socket never grants
 * more than the HTTP admin would.
 *
 * Joins of one record that wait at the same time (its tabs reconnecting after a restart) share one
 * `findOne`, never one sent before they came (SharedReads); each still asks `isAccessible` itself.
 */
import type AdminJS from 'adminjs'
import type { BaseRecord, BaseResource } from 'adminjs'
import { COMPONENT_CONFIG_KEY, type ComponentConfig } from '../component-config.js'
import { ErrorCode, type JoinIntent, type RecordRef } from '../protocol.js'
import type { AdminUser } from '../options.js'
import { AckFailure } from './ack-failure.js'
import { SharedReads } from './shared-reads.js'

export interface RecordAccess {
  resource: BaseResource
  record: BaseRecord
  /** The feature's per-resource settings, read back from the edit action it configured. */
  config: ComponentConfig
}

function findResource(admin: AdminJS, resourceId: string): BaseResource {
  try {
    return admin.findResource(resourceId)
  } catch {
    throw new AckFailure(ErrorCode.NotFound, `no resource ${JSON.stringify(resourceId)}`)
  }
}

/** The feature's config on a resource, or undefined when the resource does not use the feature. */
export function featureConfig(resource: BaseResource): ComponentConfig | undefined {
  const custom = resource.decorate().actions.edit?.custom() as Record<string, unknown> | undefined
  return custom?.[COMPONENT_CONFIG_KEY] as ComponentConfig | undefined
}

/** The record lookups of each admin (one per socket server in practice), by resource and id. */
const lookups = new WeakMap<AdminJS, SharedReads<BaseRecord | null>>()

function lookUp(admin: AdminJS, resource: BaseResource, ref: RecordRef): Promise<BaseRecord | null> {
  let reads = lookups.get(admin)
  if (!reads) {
    reads = new SharedReads()
    lookups.set(admin, reads)
  }
  return reads.read(JSON.stringify([ref.resourceId, ref.recordId]), async () => {
    try {
      return await resource.findOne(ref.recordId)
    } catch {
      // Adapters throw on ids of the wrong shape (e.g. "abc" for a numeric key): no such record.
      return null
    }
  })
}

/**
 * The record a join names, on a resource with the feature. It needs no admin, so a join looks it up
 * while the session is being re-read; `mayAccess` then asks with the admin the session has now.
 */
export async function findRecord(admin: AdminJS, ref: RecordRef): Promise<RecordAccess> {
  const resource = findResource(admin, ref.resourceId)
  const config = featureConfig(resource)
  if (!config) throw new AckFailure(ErrorCode.NotFound, `collaboration is not enabled on resource ${JSON.stringify(ref.resourceId)}`)
  const record = await lookUp(admin, resource, ref)
  if (!record) throw new AckFailure(ErrorCode.NotFound, `no record ${JSON.stringify(ref.recordId)} in ${ref.resourceId}`)
  return { resource, record, config }
}

/** Throws `forbidden` unless AdminJS lets this admin run the `intent` action on the record. */
export async function mayAccess({ resource, record }: RecordAccess, adminUser: AdminUser, intent: JoinIntent): Promise<void> {
  const action = resource.decorate().actions[intent]
  const allowed = action ? await action.isAccessible(adminUser as never, record) : false
  if (!allowed) throw new AckFailure(ErrorCode.Forbidden, `you may not ${intent} this ${resource.id()}`)
}
