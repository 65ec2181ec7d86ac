import { describe, expect, it } from '@jest/globals';
import { InvalidOptionsError, type ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { DEFAULT_OPTIONS, withDefaults } from '../../src/kernel/options.js';
import { createTestApp } from '../support/test-app.js';

describe('module options', () => {
  it.each<[string, ProcessManagerModuleOptions, string]>([
    [
      'a poll interval Node would turn into 1 ms',
      { timers: { pollIntervalMs: 1e10 } },
      'timers.pollIntervalMs is 10000000000',
    ],
    [
      'no attempt at all',
      { retry: { maxAttempts: 0 } },
      'retry.maxAttempts is 0; it must be a whole number ≥ 1',
    ],
    ['a fraction of an attempt', { retry: { maxAttempts: 2.5 } }, 'retry.maxAttempts is 2.5'],
    ['a string from the environment', { outbox: { batchSize: '100' as never } }, 'outbox.batchSize is "100"'],
    ['NaN', { recovery: { stuckAfterMs: Number.NaN } }, 'recovery.stuckAfterMs is NaN'],
    ['a negative delay', { retry: { initialDelayMs: -1 } }, 'retry.initialDelayMs is -1'],
    ['a shrinking backoff', { retry: { factor: 0.5 } }, 'retry.factor is 0.5'],
    ['negative conflict retries', { conflictRetries: -1 }, 'conflictRetries is -1'],
    ['an unknown store', { store: 'mongo' as never }, `store is "mongo"; it must be 'typeorm' or 'memory'`],
    ['a switch that is not a boolean', { timers: { enabled: 'yes' as never } }, 'timers.enabled is "yes"'],
  ])('refuses %s with InvalidOptionsError naming the option', (_what, options, message) => {
    expect(() => withDefaults(options)).toThrow(InvalidOptionsError);
    expect(() => withDefaults(options)).toThrow(`ProcessManagerModule option ${message}`);
  });

  it('takes an option given as undefined as its default', () => {
    const resolved = withDefaults({
      retry: { maxAttempts: undefined, initialDelayMs: 10 },
      conflictRetries: undefined,
    });
    expect(resolved.retry).toEqual({ ...DEFAULT_OPTIONS.retry, initialDelayMs: 10 });
    expect(resolved.conflictRetries).toBe(DEFAULT_OPTIONS.conflictRetries);
    expect(withDefaults()).toEqual(DEFAULT_OPTIONS);
  });

  it('fails boot, not the first poll', async () => {
    const booted = createTestApp({ store: 'memory', providers: [], options: { timers: { batchSize: 0 } } });
    await expect(booted).rejects.toThrow(InvalidOptionsError);
    await expect(booted).rejects.toThrow(/timers\.batchSize is 0/);
  });
});
