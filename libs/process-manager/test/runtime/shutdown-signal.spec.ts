import { describe, expect, it } from '@jest/globals';
import { ABANDONED, ShutdownSignal } from '../../src/runtime/timeout.js';

describe('ShutdownSignal', () => {
  it('passes on what each wait settles to, and holds nothing of a settled wait', async () => {
    const signal = new ShutdownSignal();
    const values = await Promise.all(
      Array.from({ length: 10_000 }, (_, n) => signal.orAbandoned(Promise.resolve(n))),
    );
    await expect(signal.orAbandoned(Promise.reject(new Error('receiver failed')))).rejects.toThrow(
      'receiver failed',
    );

    expect(values.at(-1)).toBe(9_999);
    expect(signal.pending).toBe(0);
  });

  it('ends the waits in progress with ABANDONED when it fires, and every later wait at once', async () => {
    const signal = new ShutdownSignal();
    const hung = signal.orAbandoned(new Promise(() => undefined));
    expect(signal.pending).toBe(1);

    signal.fire();
    await expect(hung).resolves.toBe(ABANDONED);
    await expect(signal.orAbandoned(Promise.resolve('late'))).resolves.toBe(ABANDONED);
    expect(signal.pending).toBe(0);
  });
});
