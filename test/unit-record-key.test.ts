/** Record keys and their inverse: every id survives the round trip, and no text is misread as a key. */
import { describe, expect, test } from '@jest/globals'
import { parseRecordKey, recordKey } from '../src/store/keys'

describe('parseRecordKey', () => {
  test.each([
    ['Post', '1'],
    ['Post', 'a:b'],
    ['my resource', '50%/x?y#z'],
    ['Pages:de', '{}'],
    ['Ü', 'ünïcødé ✓'],
  ])('gives back (%j, %j)', (resourceId, recordId) => {
    expect(parseRecordKey(recordKey(resourceId, recordId))).toEqual({ resourceId, recordId })
  })

  test.each(['', 'Post', 'Post:', ':1', 'a:b:c', 'Post:%E0%A4%A', 'Post:a b', 'Post:%41'])('refuses %j', (key) => {
    expect(parseRecordKey(key)).toBeNull()
  })
})
