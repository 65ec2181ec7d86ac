import { describe, expect, it } from '@jest/globals';
import { HopelessInputError, InvalidDurationError } from 'nestjs-process-manager';
import { MAX_DURATION_MS, parseDuration } from '../../src/kernel/duration.js';

describe('parseDuration()', () => {
  it.each([
    [0, 0],
    [250, 250],
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1_500],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    [' 30s ', 30_000],
  ])('reads %p as %p ms', (value, expected) => {
    expect(parseDuration(value)).toBe(expected);
  });

  it.each([
    '10 minutes',
    '',
    'soon',
    '-5s',
    '5w',
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    1e20,
    '99999999d',
  ])('rejects %p with InvalidDurationError naming it', (value) => {
    expect(() => parseDuration(value)).toThrow(InvalidDurationError);
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    expect(() => parseDuration(value)).toThrow(`Invalid duration ${shown}`);
  });

  it('accepts up to 1000 years', () => {
    expect(parseDuration(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    expect(() => parseDuration(MAX_DURATION_MS + 1)).toThrow(InvalidDurationError);
  });

  it.each([null, undefined, {}, 10n, true])('rejects %p, which is not a duration at all', (value) => {
    expect(() => parseDuration(value as never)).toThrow(InvalidDurationError);
  });

  it('is a hopeless error: a retry of the same handler fails the same way', () => {
    expect(() => parseDuration('soon')).toThrow(HopelessInputError);
  });
});
