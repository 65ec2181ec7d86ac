import { InvalidDurationError } from '../errors/index.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Longest duration accepted: anything longer is a unit mistake, and would leave PostgreSQL's date range. */
export const MAX_DURATION_MS = 1_000 * 365.25 * UNIT_MS.d!;

/** `250`, `'250ms'`, `'30s'`, `'15m'`, `'2h'`, `'7d'` → milliseconds; at most 1000 years. */
export function parseDuration(value: number | string): number {
  const ms = toMs(value);
  if (ms === undefined) throw new InvalidDurationError(value);
  if (ms > MAX_DURATION_MS) throw new InvalidDurationError(value, 'longer than 1000 years');
  return ms;
}

function toMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : undefined;
}

/** Dates a timestamptz column stores and gives back as written (years 1 to 9999, as ISO 8601 writes them). */
const EARLIEST = new Date(Date.UTC(2000, 0, 1)).setUTCFullYear(1); // Date.UTC maps years 0–99 to 1900–1999
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Why `date` cannot be a timer's due time, or undefined. */
export function timestampProblem(date: unknown): string | undefined {
  if (!(date instanceof Date)) return 'is not a Date';
  const time = date.getTime();
  if (Number.isNaN(time)) return 'is an invalid Date';
  if (time < EARLIEST || time > LATEST) return `is outside the years 1 to 9999 (${date.toISOString()})`;
  return undefined;
}
