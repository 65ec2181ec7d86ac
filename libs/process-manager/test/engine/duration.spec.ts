import { describe, expect, it } from '@jest/globals';
import { InvalidDurationError } from 'nestjs-process-manager';
import { parseDuration } from '../../src/kernel/duration.js';

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

  it.each(['10 minutes', '', 'soon', '-5s', '5w', -1, Number.NaN, Number.POSITIVE_INFINITY])(
    'rejects %p with InvalidDurationError naming it',
    (value) => {
      expect(() => parseDuration(value)).toThrow(InvalidDurationError);
      expect(() => parseDuration(value)).toThrow(`Invalid duration ${JSON.stringify(value)}`);
    },
  );
});
