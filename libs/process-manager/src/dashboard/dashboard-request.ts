import type { ProcessStatus } from '../kernel/process-context.js';
import { isUuid } from '../ports/list-cursor.js';
import { DashboardRequestError } from './dashboard.errors.js';

const STATUSES: readonly ProcessStatus[] = ['running', 'compensating', 'completed', 'failed', 'cancelled'];
export const MAX_PAGE = 200;
const MAX_REASON = 1_000;

/** The part of the platform's request read here (Express's `Request`). */
export interface DashboardHttpRequest {
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, unknown>;
  body?: unknown;
}

/** `GET api/processes`: a page of the list, or a search by key / process id when `key` is given. */
export interface ListRequest {
  type?: string;
  status?: ProcessStatus[];
  stateName?: string;
  /** Instances last changed before this time (ISO 8601). */
  updatedBefore?: Date;
  limit: number;
  cursor?: string;
  key?: string;
}

export function parseListRequest(query: Record<string, unknown>): ListRequest {
  const known = ['type', 'status', 'state', 'updatedBefore', 'limit', 'cursor', 'key'];
  rejectUnknown(query, known, 'query parameter');
  const status = text(query, 'status', 200)
    ?.split(',')
    .filter((value) => value !== '');
  const unknown = status?.find((value) => !STATUSES.includes(value as ProcessStatus));
  if (unknown !== undefined)
    throw new DashboardRequestError(`status must be one of ${STATUSES.join(', ')}: got "${unknown}".`);
  const updatedBefore = text(query, 'updatedBefore', 40);
  const before = updatedBefore === undefined ? undefined : new Date(updatedBefore);
  if (before && (Number.isNaN(before.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(updatedBefore!)))
    throw new DashboardRequestError(`updatedBefore must be an ISO 8601 time: got "${clip(updatedBefore!)}".`);
  return {
    type: text(query, 'type', 200),
    status: status && status.length > 0 ? (status as ProcessStatus[]) : undefined,
    stateName: text(query, 'state', 200),
    updatedBefore: before,
    limit: integer(query, 'limit', 1, MAX_PAGE) ?? 50,
    cursor: text(query, 'cursor', 500),
    key: text(query, 'key', 400),
  };
}

export function parseLimit(query: Record<string, unknown>): number {
  rejectUnknown(query, ['limit'], 'query parameter');
  return integer(query, 'limit', 1, MAX_PAGE) ?? MAX_PAGE;
}

/** A process or dead-letter id in the path: a uuid, or the request is malformed. */
export function parseId(value: string, what: string): string {
  if (!isUuid(value)) throw new DashboardRequestError(`${what} must be a uuid: got "${clip(value)}".`);
  return value.toLowerCase();
}

/**
 * The body of a write: `POST` with `Content-Type: application/json` (a cross-site form cannot send
 * that without a CORS preflight) holding `{}` or `{ "reason": "…" }`.
 */
export function parseWriteBody(
  request: DashboardHttpRequest,
  /** The fields this write takes besides `reason`. */
  fields: readonly string[] = [],
): { reason?: string; fields: Record<string, unknown> } {
  const contentType = String(request.headers['content-type'] ?? '');
  if (!/^application\/json\s*(;|$)/i.test(contentType))
    throw new DashboardRequestError(
      `Dashboard writes take a JSON body: send Content-Type: application/json (got "${clip(contentType)}").`,
      415,
    );
  const body = request.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new DashboardRequestError('The body must be a JSON object, e.g. {} or {"reason": "…"}.');
  const given = body as Record<string, unknown>;
  rejectUnknown(given, ['reason', ...fields], 'body field');
  const reason = given.reason;
  if (reason === undefined || reason === null) return { fields: given };
  if (typeof reason !== 'string') throw new DashboardRequestError('reason must be a string.');
  if (reason.length > MAX_REASON)
    throw new DashboardRequestError(`reason must be at most ${MAX_REASON} characters.`);
  if (/\p{Cc}/u.test(reason.replace(/[\n\t]/g, '')))
    throw new DashboardRequestError('reason must not contain control characters.');
  const trimmed = reason.trim();
  return trimmed === '' ? { fields: given } : { reason: trimmed, fields: given };
}

/** A text field of a write's body, required unless `optional`. */
export function bodyText(
  fields: Record<string, unknown>,
  name: string,
  max: number,
  optional = false,
): string | undefined {
  const value = fields[name];
  if ((value === undefined || value === null || value === '') && optional) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new DashboardRequestError(`${name} must be given, as text.`);
  if (value.length > max) throw new DashboardRequestError(`${name} must be at most ${max} characters.`);
  if (/\p{Cc}/u.test(value)) throw new DashboardRequestError(`${name} must not contain control characters.`);
  return value;
}

/** An ISO 8601 time in a write's body. */
export function bodyTime(fields: Record<string, unknown>, name: string): Date {
  const value = bodyText(fields, name, 40)!;
  const time = new Date(value);
  if (Number.isNaN(time.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw new DashboardRequestError(`${name} must be an ISO 8601 time: got "${clip(value)}".`);
  return time;
}

/** The dead-letter filter of `GET dead-letters/count` and `POST dead-letters/retry`. */
export function parseDeadLetterFilter(values: Record<string, unknown>): {
  type?: string;
  messageType?: string;
  errorContains?: string;
} {
  return {
    type: bodyText(values, 'type', 200, true),
    messageType: bodyText(values, 'messageType', 200, true),
    errorContains: bodyText(values, 'errorContains', 200, true),
  };
}

export function parseDeadLetterQuery(
  query: Record<string, unknown>,
): ReturnType<typeof parseDeadLetterFilter> {
  rejectUnknown(query, DEAD_LETTER_FILTER, 'query parameter');
  return parseDeadLetterFilter(query);
}

export const DEAD_LETTER_FILTER = ['type', 'messageType', 'errorContains'];

function rejectUnknown(values: Record<string, unknown>, known: string[], what: string): void {
  const unknown = Object.keys(values).find((key) => !known.includes(key));
  if (unknown !== undefined)
    throw new DashboardRequestError(`Unknown ${what} "${clip(unknown)}": use ${known.join(', ')}.`);
}

function text(query: Record<string, unknown>, name: string, max: number): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new DashboardRequestError(`${name} must be given once, as text.`);
  if (value.length > max) throw new DashboardRequestError(`${name} must be at most ${max} characters.`);
  if (/\p{Cc}/u.test(value)) throw new DashboardRequestError(`${name} must not contain control characters.`);
  return value;
}

function integer(query: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const value = text(query, name, 10);
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max)
    throw new DashboardRequestError(`${name} must be a whole number from ${min} to ${max}: got "${value}".`);
  return number;
}

/** User input quoted in an error message, kept short. */
function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
