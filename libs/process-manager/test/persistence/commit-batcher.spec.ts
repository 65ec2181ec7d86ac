import { describe, expect, it } from '@jest/globals';
import { ConcurrencyConflictError } from '../../src/errors/index.js';
import { CommitBatcher } from '../../src/typeorm/commit-batcher.js';

interface Item {
  id: string;
  key: string;
}

const decision = (id: string, key = id): Item => ({ id, key });

/** A batcher whose single and batch commits are recorded and resolved by the test; results echo the id. */
function harness(maxConcurrent = 1) {
  const singles: string[] = [];
  const batches: string[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const batcher = new CommitBatcher<Item, string>(
    {
      one: async ({ id }) => {
        singles.push(id);
        await gate;
        if (id === 'bad') throw new Error('rejected by PostgreSQL');
        return `${id} alone`;
      },
      many: async (items) => {
        batches.push(items.map(({ id }) => id));
        if (items.some(({ id }) => id === 'bad')) throw new Error('statement failed');
        return items.map(({ id }) => (id === 'stale' ? new ConcurrencyConflictError(id) : `${id} batched`));
      },
      keys: ({ id, key }) => [id, key],
    },
    3,
    maxConcurrent,
  );
  return { batcher, singles, batches, release };
}

describe('CommitBatcher', () => {
  it('commits a lone item directly and batches what queued meanwhile, each key once per batch', async () => {
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

  it('gives each item of a batch its own result, and fails only the conflicting one', async () => {
    const { batcher, release } = harness();
    const first = batcher.commit(decision('a'));
    const ok = batcher.commit(decision('b'));
    const stale = batcher.commit(decision('stale'));
    release();
    await first;
    await expect(ok).resolves.toBe('b batched');
    await expect(stale).rejects.toBeInstanceOf(ConcurrencyConflictError);
  });

  it('retries each item of a failed batch on its own, so one bad item fails alone', async () => {
    const { batcher, singles, release } = harness();
    const first = batcher.commit(decision('a'));
    const good = batcher.commit(decision('b'));
    const bad = batcher.commit(decision('bad'));
    release();
    await first;
    await expect(good).resolves.toBe('b alone');
    await expect(bad).rejects.toThrow('rejected by PostgreSQL');
    expect(singles.filter((id) => id === 'b')).toHaveLength(1);
  });
});
