import { createHash } from 'node:crypto';

/**
 * The messageId of the reply to the message `requestId`: always the same for one request, so a reply
 * sent again (after a redelivery or a restart) is deduplicated by the receiving process's inbox.
 */
export function replyIdFor(requestId: string): string {
  const hex = createHash('sha256').update(`reply:${requestId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
