import { describe, expect, it } from '@jest/globals';
import { DispatchMarker } from '../../src/runtime/dispatch-marker.js';

/** A write whose every call waits until the test settles it. */
function controlledWrites() {
  const calls: { ids: string[]; resolve: () => void; reject: (error: Error) => void }[] = [];
  const write = (ids: string[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ ids, resolve, reject });
    });
  return { calls, write };
}

async function settled(promise: Promise<void>): Promise<'resolved' | 'rejected'> {
  return promise.then(
    () => 'resolved' as const,
    () => 'rejected' as const,
  );
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('DispatchMarker', () => {
  it('coalesces the ids that queue up while a write runs into the next write', async () => {
    const { calls, write } = controlledWrites();
    const marker = new DispatchMarker(write, () => undefined);
    const first = marker.mark(['a']);
    const second = marker.mark(['b']);
    const third = marker.mark(['c', 'd']);
    await flush();
    expect(calls.map(({ ids }) => ids)).toEqual([['a']]);
    calls[0]!.resolve();
    await first;
    await flush();
    expect(calls.map(({ ids }) => ids)).toEqual([['a'], ['b', 'c', 'd']]);
    calls[1]!.resolve();
    expect(await Promise.all([settled(second), settled(third)])).toEqual(['resolved', 'resolved']);
  });

  it('keeps marking after a write rejects while another is queued, retrying the failed ids once', async () => {
    const { calls, write } = controlledWrites();
    const failures: { ids: readonly string[]; retried: boolean }[] = [];
    const marker = new DispatchMarker(write, (_error, ids, retried) => failures.push({ ids, retried }));
    const first = marker.mark(['a']);
    const queued = marker.mark(['b']);
    await flush();
    calls[0]!.reject(new Error('terminating connection due to administrator command'));

    // Bookkeeping never fails the caller: the step that committed is fine, the relay covers the rest.
    expect(await settled(first)).toBe('resolved');
    await flush();
    expect(calls.map(({ ids }) => ids)).toEqual([['a'], ['a', 'b']]);
    calls[1]!.resolve();
    expect(await settled(queued)).toBe('resolved');

    const later = marker.mark(['c']);
    await flush();
    expect(calls.map(({ ids }) => ids)).toEqual([['a'], ['a', 'b'], ['c']]);
    calls[2]!.resolve();
    expect(await settled(later)).toBe('resolved');
    expect(failures).toEqual([{ ids: ['a'], retried: false }]);
  });

  it('gives a failed id one more write only, so an id that always fails cannot poison later writes', async () => {
    const written: string[][] = [];
    const marker = new DispatchMarker(
      async (ids) => {
        written.push(ids);
        if (ids.includes('poison')) throw new Error('invalid input syntax for type uuid: "poison"');
      },
      () => undefined,
    );
    await marker.mark(['poison']);
    await marker.mark(['x']);
    await marker.mark(['y']);
    await marker.mark(['z']);
    expect(written).toEqual([['poison'], ['poison', 'x'], ['x', 'y'], ['z']]);
  });
});
