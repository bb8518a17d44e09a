/**
 * Every text the UI shows, in English, with the wording of django-admin-collaborator where it has
 * one. These are also the package's English AdminJS translations (see translations.ts); the other
 * languages it ships are in ./locales/, typed against these keys.
 *
 * Placeholders are i18next's: `{{editorName}}`, `{{username}}`, `{{time}}`, `{{seconds}}`, `{{max}}`,
 * `{{field}}`, filled by the page (times already formatted for the admin's language).
 */
export const defaultTexts = {
  editorModeText: 'You are in editor mode.',
  viewerModeText: 'This page is being edited by {{editorName}}. You cannot make changes until they leave.',
  editorSinceText: 'Editing since {{time}}.',
  claimingEditorText: 'The editor has left. Taking over editing for you…',
  otherTabText: 'You are editing this record in another tab.',
  takeOverButtonText: 'Edit in this tab instead',
  sessionEndedText: 'Your session has ended, so this page no longer holds the record. Your changes are kept here as a draft.',
  loginLinkText: 'Log in again',
  originRefusedText:
    "This page's address is not allowed to connect to the collaboration server, so the record cannot be locked for you. An administrator can add it to the allowedOrigins option.",
  offlineText: 'Collaboration is offline: changes by others are not shown and the lock cannot be checked. Reconnecting…',
  saveRefusedText: 'Not saved: {{editorName}} is editing this record. Your changes are still in the form.',
  saveRefusedOtherTabText: 'Not saved: you are editing this record in another tab. Your changes are still in the form.',
  storeUnavailableText: 'Not saved: the collaboration service cannot check the edit lock right now. Your changes are still in the form; try again in a moment.',
  staleSaveText: 'Not saved: {{editorName}} changed this record after you opened it. Your changes are still in the form; copy what you need, then reload to see theirs.',
  staleSaveByUnknownText: 'Not saved: someone changed this record after you opened it. Your changes are still in the form; copy what you need, then reload to see theirs.',
  saveQuietText:
    'Not saved: the collaboration service restarted a moment ago and is waiting for editors to come back. Your changes are still in the form; try again in a few seconds.',
  saveBusyText: 'Not saved: another save of this record is in progress. Your changes are still in the form; try again in a moment.',
  saveVersionMissingText:
    "Not saved: the save does not say which version of the record it was built from. Send the `{{field}}` field with the value from the record you read (it is in the record's params).",
  createExistsText: 'Not created: a record with this id exists already. Edit that record instead.',
  deleteRefusedText: 'Not deleted: {{editorName}} is editing this record.',
  bulkDeleteRefusedText: 'Nothing was deleted: someone else is editing {{records}}.',
  deleteRefusedOtherTabText: 'Not deleted: you are editing this record in another tab.',
  deleteStaleText: 'Not deleted: {{editorName}} changed this record after you loaded it. Reload to see the current version.',
  deleteStaleByUnknownText: 'Not deleted: someone changed this record after you loaded it. Reload to see the current version.',
  deleteUnavailableText: 'Not deleted: the collaboration service cannot check the edit lock right now. Try again in a moment.',
  deleteQuietText: 'Not deleted: the collaboration service restarted a moment ago and is waiting for editors to come back. Try again in a few seconds.',
  deleteBusyText: 'Not deleted: a change to this record is in progress. Try again in a moment.',
  savedByText: '{{editorName}} saved this record; the form shows their version.',
  presenceEditingText: 'editing',
  presenceViewingText: 'viewing',
  presenceIdleText: 'idle for {{duration}}',
  presenceUnsavedText: 'unsaved changes',
  notificationMessage: "User {{username}} is requesting the editor's attention.",
  notificationButtonText: 'Request editor attention',
  notificationRequestSentText: 'Request sent.',
  notificationRetryText: 'You can ask again in {{seconds}} s.',
  handOverButtonText: 'Hand over to {{username}}',
  idleWarningText: 'Are you still editing? The lock will be released in {{seconds}} s.',
  keepEditingButtonText: 'Keep editing',
  idleReleasedText: 'You were inactive, so the lock was released for others. Your changes are kept as a draft.',
  takenOverText: '{{editorName}} took over editing. Your changes are kept as a draft.',
  editAgainButtonText: 'Edit again',
  takeOverOtherButtonText: 'Take over',
  takeOverWaitText: '{{editorName}} was active {{seconds}} s ago.',
  draftRestoreText: 'You have unsaved changes to this record from {{time}}.',
  draftRestoreButtonText: 'Restore my changes',
  draftDiscardButtonText: 'Discard',
  chatButtonText: 'Chat',
  chatUnreadText: '{{count}} unread',
  chatEveryoneText: 'Everyone on this record',
  chatSendButtonText: 'Send',
  chatMessageEmptyText: 'Type something to send.',
  chatMessageTooLongText: 'Messages can be at most {{max}} characters.',
  chatRateLimitedText: 'You are sending messages too fast; try again in {{seconds}} s.',
  chatUserListTitle: 'Online users',
  chatEmptyStateText: 'No other users online',
  chatStartConversationText: 'No messages yet. Start the conversation!',
  chatInputPlaceholder: 'Type a message…',
  chatOnlineStatusText: 'Online',
  // What a refused request means, by the error code the server (or the page) gives it. The
  // server's own `message` is English for logs; the page shows these instead.
  errorInvalidPayloadText: 'The collaboration server did not understand this page. Reload the page.',
  errorPayloadTooLargeText: 'That is too large to send to the collaboration server.',
  errorUnknownEventText: 'The collaboration server does not offer this here.',
  errorForbiddenText: 'You are not allowed to do this on this record.',
  errorNotFoundText: 'This record no longer exists.',
  errorNotJoinedText: 'This page lost its connection to the record. Reload the page.',
  errorRateLimitedText: 'Too many requests at once; try again in a moment.',
  errorLockHeldText: 'Someone else is editing this record.',
  errorStoreUnavailableText: 'The collaboration service is unavailable right now; try again in a moment.',
  errorVersionMismatchText: 'The collaboration server was updated. Reload the page.',
  errorTooManyRecordsText: 'You have too many records open; close some tabs and reload.',
  errorTooManySocketsText: 'You have too many admin pages open; close some tabs and reload.',
  errorInternalText: 'Something went wrong on the collaboration server. Try again in a moment.',
  errorDisconnectedText: 'Not connected to the collaboration server. Reconnecting…',
  errorTimeoutText: 'The collaboration server did not answer. Try again in a moment.',
  queueJoinButtonText: 'Notify me when free',
  queueLeaveButtonText: 'Leave the line',
  queuePositionText: 'You are {{position}} in line for this record.',
  queueFirstText: '{{username}} is first in line and may take the record now.',
  queueTurnTitleText: 'Your turn to edit',
  queueTurnBodyText: 'The record is free: you are editing it now.',
  attentionTitleText: '{{username}} asks for the record',
  errorQueuedText: 'Others are waiting in line for this record first.',
  freshRecordFailedText: 'Could not load the latest version of this record.',
  // The locks page (collaboration.locksPage()) and the editor's page when an admin ends its lock.
  locksAllTitle: 'Records being edited or viewed',
  locksMineTitle: 'My locks',
  locksEmptyText: 'Nobody is editing or viewing a record right now.',
  locksMineEmptyText: 'You are not editing any record.',
  locksRecordColumn: 'Record',
  locksEditorColumn: 'Editor',
  locksSinceColumn: 'Since',
  locksIdleColumn: 'Idle for',
  locksViewersColumn: 'Viewers',
  locksQueueColumn: 'Waiting',
  locksSecondsText: '{{seconds}} s',
  locksMinutesText: '{{minutes}} min',
  locksReleaseButtonText: 'Release',
  lockEndedText: '{{username}} released your lock, so this page no longer edits the record. Your changes are kept as a draft.',
  lockEndedEditAgainText: 'Edit again',
  auditTitle: 'Audit log',
  auditEmptyText: 'No events yet.',
  auditFilterText: 'Showing the events of {{filter}}.',
  auditClearFilterText: 'Show all',
  auditMoreText: 'Older events',
  auditGrantedText: 'started editing',
  auditReleasedText: 'stopped editing',
  auditExpiredText: 'lost the lock (not renewed)',
  auditIdleReleasedText: 'lost the lock (inactive)',
  auditHandedOverText: 'handed the lock over to {{by}}',
  auditTakenOverText: 'lost the lock to {{by}} (take-over)',
  auditForceReleasedText: 'lock released by {{by}}',
  auditSaveRefusedHeldText: 'save refused: someone else edits the record',
  auditSaveRefusedStaleText: 'save refused: the record changed meanwhile',
  auditQueueJoinedText: 'joined the line',
  auditQueueLeftText: 'left the line',
  feedButtonLabel: 'Recent changes',
  feedUnreadText: '{{count}} new',
  feedTitle: 'Recent changes',
  feedEmptyText: 'No changes yet.',
  feedMarkAllReadText: 'Mark all read',
  feedUpdatedText: '{{name}} changed {{fields}}',
  feedSavedText: '{{name}} saved it',
  feedCreatedText: '{{name}} created it',
  feedDeletedText: '{{name}} deleted it',
  feedAndText: '{{first}} and {{last}}',
  listPresenceColumnText: 'Who is here',
  listEditingText: '{{name}} is editing',
  listViewersText: 'Viewing: {{names}}',
  listUpdatedText: 'Updated by {{name}}',
  listCreatedText: 'New, by {{name}}',
  listDeletedText: 'Deleted by {{name}}',
  savedFieldsText: '{{editorName}} changed {{fields}}; the page shows the new version.',
  recordDeletedText: 'Deleted by {{name}} at {{time}}.',
  recordGoneText: 'This record no longer exists: it was deleted.',
  recordDeletedPageText: 'This page shows the record as it was; nothing here can be saved.',
  recordDeletedKeptText: 'Your unsaved changes are kept as a draft and are still in the form below, to copy.',
  recordDeletedListText: 'Back to the list',
  fieldChangedText: 'Changed by {{name}} at {{time}}',
}

export type CollaborationTexts = typeof defaultTexts
export type TextKey = keyof CollaborationTexts

/** `{{name}}`, i18next's placeholder (what every shipped text uses). */
const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g
/** `{name}`, the placeholder of earlier versions, not inside `{{ }}`. */
const LEGACY_PLACEHOLDER = /(?<!\{)\{(\w+)\}(?!\})/g

/**
 * A user-given text with the old `{name}` placeholders written as `{{name}}`. Deprecated form,
 * converted once when the options are resolved so the page only ever sees i18next's syntax.
 */
export function fromLegacyPlaceholders(text: string): string {
  return text.replace(LEGACY_PLACEHOLDER, '{{$1}}')
}

/** The placeholder names of a text, for checking translations against English. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1] as string))].sort()
}

/**
 * Fills `{{name}}` placeholders (as i18next does) where no i18next is at hand: the English
 * fallback of a refusal the server logs or sends. Unknown placeholders stay visible.
 */
export function fillText(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole)
}
