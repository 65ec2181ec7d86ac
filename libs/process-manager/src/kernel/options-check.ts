import { InvalidOptionsError } from '../errors/index.js';
import { MAX_DURATION_MS } from './duration.js';

/** Longest delay Node's timers take: a longer one silently becomes 1 ms (a poll loop that never rests). */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Rule = (value: unknown) => string | undefined;

const wholeNumber =
  (min: number): Rule =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min ? undefined : `a whole number ≥ ${min}`;

const number =
  (min: number, max: number): Rule =>
  (value) =>
    typeof value === 'number' && value >= min && value <= max ? undefined : `a number from ${min} to ${max}`;

/** Options checked by their path; every other one by the kind its name says. */
const RULES: Record<string, Rule> = {
  store: (value) => (value === 'typeorm' || value === 'memory' ? undefined : `'typeorm' or 'memory'`),
  dataSourceName: (value) => (value === undefined || typeof value === 'string' ? undefined : 'a string'),
  conflictRetries: wholeNumber(0),
  'retry.maxAttempts': wholeNumber(1),
  'retry.factor': number(1, 1_000),
};

function ruleFor(path: string): Rule {
  const rule = RULES[path];
  if (rule) return rule;
  const name = path.slice(path.lastIndexOf('.') + 1);
  if (name === 'enabled') return (value) => (typeof value === 'boolean' ? undefined : 'true or false');
  if (/(^i|I)ntervalMs$|TimeoutMs$/.test(name)) return number(1, MAX_TIMER_MS);
  if (name.endsWith('Ms')) return number(0, MAX_DURATION_MS);
  if (/(Size|Limit)$/.test(name)) return wholeNumber(1);
  return (value) =>
    typeof value !== 'number' || (Number.isFinite(value) && value >= 0) ? undefined : 'a number ≥ 0';
}

/**
 * Fills what was given as `undefined` with its default (`{ maxAttempts: process.env.X && … }` means
 * "the default"), then checks every option, so that a bad one fails boot with InvalidOptionsError
 * naming it instead of misbehaving later (`pollIntervalMs: 1e10` would poll every millisecond).
 */
export function checkOptions<T extends object>(resolved: T, defaults: T): T {
  return check(resolved, defaults, '') as T;
}

function check(value: unknown, fallback: unknown, path: string): unknown {
  if (value === undefined) return fallback;
  const isGroup = typeof fallback === 'object' && fallback !== null;
  if (isGroup) {
    if (typeof value !== 'object' || value === null) throw new InvalidOptionsError(path, value, 'an object');
    const group: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(fallback), ...Object.keys(value)])) {
      const given = (value as Record<string, unknown>)[key];
      group[key] = check(given, (fallback as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
    }
    return group;
  }
  const expected = ruleFor(path)(value);
  if (expected) throw new InvalidOptionsError(path, value, expected);
  return value;
}
