/**
 * Every text the UI shows, with the wording of django-admin-collaborator where it has one.
 * Placeholders in braces are filled by the UI: `{editorName}`, `{username}`, `{time}`.
 * Each text can be overridden in the options, per feature call, or through AdminJS translations
 * under `messages.<key>` (the translation wins when present).
 */
export const defaultTexts = {
  editorModeText: 'You are in editor mode.',
  viewerModeText: 'This page is being edited by {editorName}. You cannot make changes until they leave.',
  editorSinceText: 'Editing since {time}.',
  claimingEditorText: 'The editor has left. Taking over editing for you…',
  otherTabText: 'You are editing this record in another tab.',
  takeOverButtonText: 'Edit in this tab instead',
  sessionEndedText: 'Your session has ended, so this page no longer holds the record. Your changes are kept here as a draft.',
  loginLinkText: 'Log in again',
  originRefusedText: 'This page\'s address is not allowed to connect to the collaboration server, so the record cannot be locked for you. An administrator can add it to the allowedOrigins option.',
  offlineText: 'Collaboration is offline: changes by others are not shown and the lock cannot be checked. Reconnecting…',
  saveRefusedText: 'Not saved: {editorName} is editing this record. Your changes are still in the form.',
  saveRefusedOtherTabText: 'Not saved: you are editing this record in another tab. Your changes are still in the form.',
  storeUnavailableText: 'Not saved: the collaboration service cannot check the edit lock right now. Your changes are still in the form; try again in a moment.',
  staleSaveText: 'Not saved: {editorName} changed this record after you opened it. Your changes are still in the form; copy what you need, then reload to see theirs.',
  staleSaveUnknownEditorText: 'someone',
  saveQuietText: 'Not saved: the collaboration service restarted a moment ago and is waiting for editors to come back. Your changes are still in the form; try again in a few seconds.',
  saveBusyText: 'Not saved: another save of this record is in progress. Your changes are still in the form; try again in a moment.',
  saveVersionMissingText: 'Not saved: the save does not say which version of the record it was built from. Send the `{field}` field with the value from the record you read (it is in the record\'s params).',
  createExistsText: 'Not created: a record with this id exists already. Edit that record instead.',
  deleteRefusedText: 'Not deleted: {editorName} is editing this record.',
  deleteRefusedOtherTabText: 'Not deleted: you are editing this record in another tab.',
  deleteStaleText: 'Not deleted: {editorName} changed this record after you loaded it. Reload to see the current version.',
  deleteUnavailableText: 'Not deleted: the collaboration service cannot check the edit lock right now. Try again in a moment.',
  deleteQuietText: 'Not deleted: the collaboration service restarted a moment ago and is waiting for editors to come back. Try again in a few seconds.',
  deleteBusyText: 'Not deleted: a change to this record is in progress. Try again in a moment.',
  savedByText: '{editorName} saved this record; the form shows their version.',
  presenceEditingText: 'editing',
  presenceViewingText: 'viewing',
  notificationMessage: 'User {username} is requesting the editor\'s attention.',
  notificationButtonText: 'Request editor attention',
  notificationRequestSentText: 'Request sent.',
  notificationRetryText: 'You can ask again in {seconds} s.',
  handOverButtonText: 'Hand over to {username}',
  draftRestoreText: 'You have unsaved changes to this record from {time}.',
  draftRestoreButtonText: 'Restore my changes',
  draftDiscardButtonText: 'Discard',
  chatButtonText: 'Chat',
  chatUnreadText: '{count} unread',
  chatEveryoneText: 'Everyone on this record',
  chatSendButtonText: 'Send',
  chatMessageEmptyText: 'Type something to send.',
  chatMessageTooLongText: 'Messages can be at most {max} characters.',
  chatRateLimitedText: 'You are sending messages too fast; try again in {seconds} s.',
  chatUserListTitle: 'Online users',
  chatEmptyStateText: 'No other users online',
  chatStartConversationText: 'No messages yet. Start the conversation!',
  chatInputPlaceholder: 'Type a message…',
  chatOnlineStatusText: 'Online',
}

export type CollaborationTexts = typeof defaultTexts
export type TextKey = keyof CollaborationTexts

/** Fills `{name}` placeholders; unknown placeholders stay as they are so a typo is visible. */
export function fillText(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole)
}
