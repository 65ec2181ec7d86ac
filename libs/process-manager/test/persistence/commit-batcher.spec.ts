import { describe, expect, it } from '@jest/globals';
import type { Decision } from '../../src/engine/decision.js';
import { ConcurrencyConflictError } from '../../src/errors/index.js';
import { CommitBatcher } from '../../src/typeorm/commit-batcher.js';

const decision = (id: string, key = id) =>
  ({ instance: { id, type: 't', correlationKey: key } }) as unknown as Decision;

/** A batcher whose single and batch commits are recorded and resolved by the test. */
function harness(maxConcurrent = 1) {
  const singles: string[] = [];
  const batches: string[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const batcher = new CommitBatcher(
    async (d) => {
      singles.push(d.instance.id);
      await gate;
      if (d.instance.id === 'bad') throw new Error('rejected by PostgreSQL');
    },
    async (ds) => {
      batches.push(ds.map((d) => d.instance.id));
      if (ds.some((d) => d.instance.id === 'bad')) throw new Error('statement failed');
      return new Set(ds.map((d) => d.instance.id).filter((id) => id !== 'stale'));
    },
    3,
    maxConcurrent,
  );
  return { batcher, singles, batches, release };
}

describe('CommitBatcher', () => {
  it('commits a lone step directly and batches what queued meanwhile, one step per instance', async () => {
    const { batcher, singles, batches, release } = harness();
    const results = ['a', 'b', 'c', 'd', 'e'].map((id) => batcher.commit(decision(id)));
    const sameInstance = batcher.commit(decision('b2', 'b'));
    release();
    await Promise.all([...results, sameInstance]);
    expect(singles).toEqual(['a']);
    expect(batches).toEqual([
      ['b', 'c', 'd'],
      ['e', 'b2'],
    ]);
  });

  it('fails only the conflicting step of a batch', async () => {
    const { batcher, release } = harness();
    const first = batcher.commit(decision('a'));
    const ok = batcher.commit(decision('b'));
    const stale = batcher.commit(decision('stale'));
    release();
    await first;
    await expect(ok).resolves.toBeUndefined();
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyConflictError);
  });

  it('retries each step of a failed batch on its own, so one bad step fails alone', async () => {
    const { batcher, singles, release } = harness();
    const first = batcher.commit(decision('a'));
    const good = batcher.commit(decision('b'));
    const bad = batcher.commit(decision('bad'));
    release();
    await first;
    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow('rejected by PostgreSQL');
    expect(singles.filter((id) => id === 'b')).toHaveLength(1);
  });
});
