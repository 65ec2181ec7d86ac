import { describe, expect, it } from '@jest/globals';
import { InvalidOptionsError, type ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { withDefaults } from '../../src/kernel/options.js';

const DAY = 86_400_000;

describe('retention options', () => {
  it('defaults to a 7-day inbox, 1 day of dispatched outbox, 30 days of resolved dead letters, every minute', () => {
    expect(withDefaults().retention).toEqual({
      enabled: true,
      intervalMs: 60_000,
      inbox: 7 * DAY,
      dispatchedOutbox: DAY,
      finishedProcesses: false,
      resolvedDeadLetters: 30 * DAY,
    });
  });

  it('takes durations as milliseconds or strings, false where a kind may be kept, undefined as the default', () => {
    const resolved = withDefaults({
      retention: {
        inbox: '14d',
        dispatchedOutbox: 3_600_000,
        finishedProcesses: '90d',
        resolvedDeadLetters: false,
        intervalMs: undefined,
      },
    }).retention;
    expect(resolved).toEqual({
      enabled: true,
      intervalMs: 60_000,
      inbox: 14 * DAY,
      dispatchedOutbox: 3_600_000,
      finishedProcesses: 90 * DAY,
      resolvedDeadLetters: false,
    });
  });

  it.each<[string, ProcessManagerModuleOptions, string]>([
    ['a window that is no duration', { retention: { inbox: 'a week' } }, 'retention.inbox is "a week"'],
    [
      'an inbox kept forever',
      { retention: { inbox: false as never } },
      'retention.inbox is the boolean false',
    ],
    ['a negative window', { retention: { dispatchedOutbox: -1 } }, 'retention.dispatchedOutbox is -1'],
    [
      'a window past 1000 years',
      { retention: { finishedProcesses: 1e20 } },
      'retention.finishedProcesses is',
    ],
    ['an interval of 0', { retention: { intervalMs: 0 } }, 'retention.intervalMs is 0'],
    [
      'a switch that is not a boolean',
      { retention: { enabled: 'no' as never } },
      'retention.enabled is "no"',
    ],
    ['retention that is no object', { retention: 'off' as never }, 'retention is "off"'],
  ])('refuses %s with InvalidOptionsError naming the option', (_what, options, message) => {
    expect(() => withDefaults(options)).toThrow(InvalidOptionsError);
    expect(() => withDefaults(options)).toThrow(`ProcessManagerModule option ${message}`);
  });
});
