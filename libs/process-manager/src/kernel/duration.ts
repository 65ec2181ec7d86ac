import { InvalidDurationError } from '../errors/index.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250`, `'250ms'`, `'30s'`, `'15m'`, `'2h'`, `'7d'` → milliseconds. */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw new InvalidDurationError(value);
  }
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(String(value).trim());
  if (!match) throw new InvalidDurationError(value);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
