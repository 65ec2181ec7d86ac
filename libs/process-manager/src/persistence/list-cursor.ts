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
  if (!id || Number.isNaN(date.getTime())) throw new TypeError(`Invalid list cursor "${cursor}".`);
  return { startedAt: date, id };
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

export function listLimit(limit: number | undefined): number {
  return Math.min(Math.max(Math.trunc(limit ?? DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT);
}
