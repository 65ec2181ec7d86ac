import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { OnEvent, ProcessManager, type ProcessContext } from 'nestjs-process-manager';
import { TypeOrmProcessStore } from '../../src/typeorm/typeorm-process.store.js';
import type { Decision } from '../../src/engine/decision.js';
import { ProcessRunner } from '../../src/runtime/process-runner.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestApp, dataSourceOf } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

class Tallied {
  constructor(
    readonly tallyId: string,
    readonly note = '',
  ) {}
}

@ProcessManager({
  name: 'batched-tally',
  correlationKey: 'tallyId',
  initialState: () => ({ count: 0, notes: [] }),
})
class BatchedTally {
  @OnEvent(Tallied, { start: true })
  tally(event: Tallied, ctx: ProcessContext<{ count: number; notes: string[] }>) {
    ctx.state.count++;
    ctx.state.notes.push(event.note);
  }
}

/** Steps PostgreSQL rejects: their state holds U+0000, which jsonb cannot store. */
const BAD = ['c-05', 'c-12', 'c-20', 'c-27', 'c-35', 'c-42', 'c-50', 'c-57'];

/**
 * The engine refuses a NUL before a step reaches the store, so it is put into these steps' state on
 * their way in: the store then gets steps that PostgreSQL itself rejects.
 */
function poisonBadSteps() {
  const store = TypeOrmProcessStore.prototype as unknown as { commit: (decision: Decision) => Promise<void> };
  const commit = store.commit;
  jest.spyOn(store, 'commit').mockImplementation(function (this: unknown, decision: Decision) {
    const { instance } = decision;
    const bad = BAD.includes(instance.correlationKey);
    const poisoned = bad
      ? { ...decision, instance: { ...instance, state: { ...instance.state, notes: ['\u0000'] } } }
      : decision;
    return commit.call(this, poisoned);
  });
}

describe('group commit of steps (PostgreSQL)', () => {
  let db: TestDatabase;
  const apps: Awaited<ReturnType<typeof createTestApp>>[] = [];
  const boot = async () => {
    const app = await createTestApp({
      url: db.url,
      providers: [BatchedTally],
      options: { retry: { maxAttempts: 1 }, batching: { enabled: true, maxSize: 16 } },
    });
    apps.push(app);
    return app;
  };
  const counts = async (app: Awaited<ReturnType<typeof createTestApp>>) =>
    dataSourceOf(app).query<{ correlation_key: string; count: number; version: number; history: number }[]>(
      `SELECT p.correlation_key, (p.state->>'count')::int AS count, p.version,
         (SELECT count(*)::int FROM pm_history h WHERE h.process_id = p.id) AS history
       FROM pm_process p WHERE p.type = 'batched-tally' ORDER BY p.correlation_key`,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await db.drop();
  });

  it('writes the steps of many instances together and applies every event once', async () => {
    const batch = jest.spyOn(TypeOrmProcessStore.prototype as never, 'commitSteps' as never);
    const app = await boot();
    const keys = Array.from({ length: 40 }, (_, i) => `a-${String(i).padStart(2, '0')}`);
    for (let round = 0; round < 5; round++)
      for (const key of keys) app.get(EventBus).publish(new Tallied(key));
    await app.get(ProcessRunner).whenIdle();
    const rows = await counts(app);
    expect(rows).toHaveLength(40);
    expect(rows.every((row) => row.count === 5 && row.version === 5 && row.history === 5)).toBe(true);
    expect(batch).toHaveBeenCalled();
  });

  it('loses nothing when two apps race on the same instances inside batches', async () => {
    const [one, two] = [await boot(), await boot()];
    const keys = Array.from({ length: 10 }, (_, i) => `b-${i}`);
    for (let round = 0; round < 10; round++) {
      for (const key of keys) (round % 2 ? one : two).get(EventBus).publish(new Tallied(key));
    }
    await waitFor(async () => {
      const mine = (await counts(one)).filter((row) => row.correlation_key.startsWith('b-'));
      return mine.length === 10 && mine.every((row) => row.count === 10);
    }, 'every tally at 10');
    const rows = (await counts(one)).filter((row) => row.correlation_key.startsWith('b-'));
    expect(rows.map((row) => [row.count, row.history])).toEqual(keys.map(() => [10, 10]));
  });

  it('keeps a step that PostgreSQL rejects from failing or duplicating the others in its batch', async () => {
    const batch = jest.spyOn(TypeOrmProcessStore.prototype as never, 'commitSteps' as never) as unknown as {
      mock: { calls: [{ instance: { correlationKey: string } }[]][] };
    };
    poisonBadSteps();
    const app = await boot();
    // Slow single commits hold the batcher's slots, so the later steps (bad ones among them) queue and batch.
    const single = TypeOrmProcessStore.prototype as unknown as { commitStep: (d: unknown) => Promise<void> };
    const commitStep = single.commitStep;
    jest.spyOn(single, 'commitStep').mockImplementation(async function (this: unknown, d: unknown) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return commitStep.call(this, d);
    });
    const keys = Array.from({ length: 64 }, (_, i) => `c-${String(i).padStart(2, '0')}`);
    for (const key of keys) app.get(EventBus).publish(new Tallied(key, BAD.includes(key) ? 'NUL' : 'ok'));
    await app.get(ProcessRunner).whenIdle();
    const rows = (await counts(app)).filter((row) => row.correlation_key.startsWith('c-'));
    expect(rows.map((row) => row.correlation_key)).toEqual(keys.filter((key) => !BAD.includes(key)));
    expect(rows.every((row) => row.count === 1 && row.history === 1)).toBe(true);
    const deadLetters = await dataSourceOf(app).query<{ status: string; correlation_key: string }[]>(
      `SELECT status, correlation_key FROM pm_dead_letter WHERE handler = 'batched-tally' ORDER BY correlation_key`,
    );
    expect(deadLetters).toEqual(BAD.map((key) => ({ status: 'dead', correlation_key: key })));
    // 16 commits go alone at first (the batcher's slots); with 8 bad steps among 64, some share a batch.
    const batchedWithOthers = batch.mock.calls.some(
      ([decisions]) => decisions.length > 1 && decisions.some((d) => BAD.includes(d.instance.correlationKey)),
    );
    expect(batchedWithOthers).toBe(true);
  });
});
