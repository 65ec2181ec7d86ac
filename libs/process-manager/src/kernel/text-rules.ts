import { describeValue } from '../errors/describe-value.js';

/**
 * What PostgreSQL can store of a JavaScript string. It rejects U+0000 in text and jsonb, and the
 * driver encodes a lone surrogate as U+FFFD — a silent change that can make two different keys equal.
 */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (!(value as unknown as WellFormedString).isWellFormed())
    return 'contains a lone surrogate (half of a UTF-16 pair)';
  return undefined;
}

/** Node ≥ 20 has `String.prototype.isWellFormed` (ES2024); the compiler's lib is older. */
interface WellFormedString {
  isWellFormed(): boolean;
}

/** A varchar(n) column counts characters (code points), not UTF-16 units. */
export function lengthProblem(value: string, max: number): string | undefined {
  if (value.length <= max) return undefined;
  let characters = 0;
  for (const _character of value) if (++characters > max) return `is longer than ${max} characters`;
  return undefined;
}

/** Widest correlation or association value (pm_process.correlation_key, pm_association.value). */
export const MAX_CORRELATION_KEY_LENGTH = 400;
/** Widest stored name or id: state names, timer names, association keys, message ids. */
export const MAX_NAME_LENGTH = 200;

/**
 * The stored form of a correlation (or association) value: a string as it is, a finite number as its
 * decimal text; anything else would merge unrelated work under one key (`[object Object]`).
 */
export function correlationKeyOf(
  value: unknown,
): { key: string; problem?: undefined } | { key?: undefined; problem: string } {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? { key: String(value) } : { problem: `is ${value}` };
  }
  if (typeof value !== 'string') return { problem: `is ${describeValue(value)}` };
  const problem = textProblem(value) ?? lengthProblem(value, MAX_CORRELATION_KEY_LENGTH);
  return problem ? { problem } : { key: value };
}

/** Why `value` cannot be a stored name or id of at most `max` characters, or undefined. */
export function nameProblem(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return 'is not a string';
  if (value === '') return 'is empty';
  return textProblem(value) ?? lengthProblem(value, max);
}
