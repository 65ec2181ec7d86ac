import { randomUUID } from 'node:crypto';
import { withMetadata } from 'nestjs-process-manager';
import type { StoreKind } from './test-app.js';

/** Both stores must behave the same; the behavioural suites run against each. */
export const STORES: StoreKind[] = ['typeorm', 'memory'];

/** A correlation value no other test uses. */
export function uniqueKey(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** The event with a chosen messageId, as a broker redelivering it would hand it over. */
export function withMessageId<T extends object>(event: T, messageId: string): T {
  return withMetadata(event, { messageId, occurredAt: new Date() });
}
