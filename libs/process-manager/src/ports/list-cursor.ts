import { InvalidCursorError } from '../errors/index.js';

/** Opaque keyset cursor over (startedAt desc, id desc). */
export interface ListCursor {
  startedAt: Date;
  id: string;
}

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(`${cursor.startedAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): ListCursor {
  const [startedAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const date = new Date(startedAt ?? '');
  if (!id || !isUuid(id) || Number.isNaN(date.getTime())) throw new InvalidCursorError(cursor);
  return { startedAt: date, id };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Process ids are uuids; anything else cannot name an instance (and must not reach a uuid column). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

export function listLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT);
}
