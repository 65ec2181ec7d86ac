import { hash } from 'node:crypto';

/**
 * A deterministic, uuid-shaped id (name-based, as in RFC 9562 v5) for the `index`-th message a
 * process sends while handling `causationId`: redelivery and replay produce the same ids, so
 * receivers can dedupe.
 */
export function outgoingMessageId(processId: string, causationId: string, index: number): string {
  const hex = hash('sha1', `${processId}/${causationId}/${index}`, 'hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
