import { InvalidArgumentError, InvalidCursorError } from '../errors/index.js';
import { describeValue } from '../errors/describe-value.js';

/** Opaque keyset cursor over (startedAt desc, id desc). */
export interface ListCursor {
  startedAt: Date;
  id: string;
}

/** Keyset position of a dead letter: (firstFailedAt, id) ascending, as `deadLetters()` pages them. */
export interface DeadLetterCursor {
  firstFailedAt: Date;
  id: string;
}

/** Dead-letter cursors carry a tag, so one is never mistaken for a list cursor (or the reverse). */
const DEAD_LETTER_TAG = 'dl';

export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(`${cursor.startedAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): ListCursor {
  const parts = decode(cursor);
  if (parts.length !== 2) throw new InvalidCursorError(cursor);
  return { startedAt: dateOf(parts[0]!, cursor), id: idOf(parts[1]!, cursor) };
}

export function encodeDeadLetterCursor(cursor: DeadLetterCursor): string {
  return Buffer.from(`${DEAD_LETTER_TAG}|${cursor.firstFailedAt.toISOString()}|${cursor.id}`).toString(
    'base64url',
  );
}

export function decodeDeadLetterCursor(cursor: string): DeadLetterCursor {
  const parts = decode(cursor);
  if (parts.length !== 3 || parts[0] !== DEAD_LETTER_TAG) throw new InvalidCursorError(cursor);
  return { firstFailedAt: dateOf(parts[1]!, cursor), id: idOf(parts[2]!, cursor) };
}

function decode(cursor: unknown): string[] {
  if (typeof cursor !== 'string') throw new InvalidCursorError(cursor);
  return Buffer.from(cursor, 'base64url').toString().split('|');
}

function dateOf(text: string, cursor: string): Date {
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new InvalidCursorError(cursor);
  return date;
}

function idOf(text: string, cursor: string): string {
  if (!isUuid(text)) throw new InvalidCursorError(cursor);
  return text;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Process ids are uuids; anything else cannot name an instance (and must not reach a uuid column). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

/**
 * Rows per page: `DEFAULT_LIST_LIMIT` when not given, at most `MAX_LIST_LIMIT` (a larger ask gets that
 * many, and a cursor for the rest); anything but a whole number ≥ 1 is InvalidArgumentError.
 * @param operation the call the limit was given to, for the error
 */
export function listLimit(limit: number | undefined, operation = 'list()'): number {
  if (limit === undefined) return DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    const reason = `is ${describeValue(limit)}; pass a whole number ≥ 1 (pages hold at most ${MAX_LIST_LIMIT})`;
    throw new InvalidArgumentError(operation, 'limit', reason);
  }
  return Math.min(limit, MAX_LIST_LIMIT);
}
