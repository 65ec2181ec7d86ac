import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Decision } from '../../src/engine/decision.js';
import { PROCESS_STORE } from '../../src/ports/process-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { createTestApp, dataSourceOf } from '../support/test-app.js';

type Store = {
  commitStep(decision: Decision): Promise<void>;
  commitSteps(decisions: Decision[]): Promise<(void | Error)[]>;
  markDispatched(messageIds: string[], at: Date): Promise<void>;
};

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));

/** Two steps of one instance that touch everything: outbox, associations, timers (scheduled, re-scheduled, cancelled, fired). */
function scenario(key: string) {
  const id = randomUUID();
  const fired = randomUUID();
  const message = (type: string) => {
    const messageId = randomUUID();
    return {
      kind: 'command' as const,
      type,
      payload: { key, quote: `"q'\\` },
      metadata: { messageId, correlationId: key, occurredAt: at(1) },
      message: {},
    };
  };
  const instance = (version: number, second: number) => ({
    id,
    type: 'batch-sql',
    correlationKey: key,
    status: 'running' as const,
    stateName: `s${version}`,
    state: { version, text: 'a "quoted" {brace} \\ value', list: [1, 2] },
    version,
    startedAt: at(0),
    updatedAt: at(second),
  });
  const first: Decision = {
    isNew: true,
    expectedVersion: 0,
    instance: instance(1, 1),
    inbox: { messageId: `m1-${key}` },
    outgoing: [message('A'), message('B')],
    associations: [
      { key: 'order', value: `o-${key}` },
      { key: 'ref', value: `r-${key}` },
    ],
    timers: {
      scheduled: [
        { id: fired, name: undefined, dueAt: at(10), messageType: 'Fired', payload: { n: 1 } },
        { id: randomUUID(), name: 'keep', dueAt: at(11), messageType: 'Keep', payload: {} },
        { id: randomUUID(), name: 'cancel-me', dueAt: at(12), messageType: 'Gone', payload: {} },
        { id: randomUUID(), name: 'again', dueAt: at(13), messageType: 'Again', payload: { n: 1 } },
      ],
      cancelled: [],
      cancelAll: false,
    },
    history: {
      messageType: 'Start',
      messageId: `m1-${key}`,
      outcome: 'handled',
      status: 'running',
      commands: [],
      at: at(1),
      toState: 's1',
    },
  };
  const second: Decision = {
    isNew: false,
    expectedVersion: 1,
    instance: { ...instance(2, 2), lastError: 'oops' },
    inbox: { messageId: fired },
    outgoing: [message('C')],
    associations: [{ key: 'order', value: `o-${key}` }],
    timers: {
      scheduled: [
        { id: randomUUID(), name: 'again', dueAt: at(20), messageType: 'Again', payload: { n: 2 } },
      ],
      cancelled: ['cancel-me', 'again'],
      cancelAll: false,
    },
    history: {
      messageType: 'Fired',
      messageId: fired,
      outcome: 'stalled',
      fromState: 's1',
      status: 'running',
      commands: [{ kind: 'command', type: 'C', payload: {} }],
      at: at(2),
      error: 'e',
      note: 'n',
    },
  };
  return { id, first, second };
}

describe('BATCH_STEP_SQL writes exactly what the single-step SQL writes', () => {
  let db: TestDatabase;
  let app: Awaited<ReturnType<typeof createTestApp>>;
  let store: Store;
  /** The ids of the instances whose step one batch statement wrote. */
  const written = async (decisions: Decision[]) => {
    const results = await store.commitSteps(decisions);
    return new Set(
      decisions.filter((_, index) => !(results[index] instanceof Error)).map((d) => d.instance.id),
    );
  };
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await createTestApp({ url: db.url, providers: [] });
    store = app.get(PROCESS_STORE) as unknown as Store;
    ds = dataSourceOf(app);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  /** Everything written for one instance, ids and keys replaced by what does not differ between runs. */
  const snapshot = async (id: string, key: string) => {
    const strip = (value: unknown) =>
      JSON.parse(JSON.stringify(value).replaceAll(id, 'ID').replaceAll(key, 'KEY'));
    const q = (sql: string) => ds.query(sql, [id]).then(strip);
    return {
      process:
        await q(`SELECT type, correlation_key, status, state_name, state, version, started_at, updated_at,
        completed_at, last_error, stalled_at FROM pm_process WHERE id = $1`),
      inbox: await q(`SELECT handler, handled_at FROM pm_inbox WHERE process_id = $1 ORDER BY handled_at`),
      history:
        await q(`SELECT seq, message_type, outcome, from_state, to_state, status, commands, error, note, at
        FROM pm_history WHERE process_id = $1 ORDER BY seq`),
      outbox: await q(
        `SELECT kind, type, payload, created_at, available_at FROM pm_outbox WHERE process_id = $1 ORDER BY type`,
      ),
      associations: await q(`SELECT type, key, value FROM pm_association WHERE process_id = $1 ORDER BY key`),
      timers:
        await q(`SELECT name, due_at, message_type, payload, locked_until FROM pm_timer WHERE process_id = $1
        ORDER BY name NULLS FIRST`),
    };
  };

  it('matches the single-step path row for row, and skips stale, duplicate and clashing steps', async () => {
    const single = scenario('single');
    await store.commitStep(single.first);

    const batched = scenario('batched');
    const other = scenario('other');
    expect(await written([batched.first, other.first])).toEqual(new Set([batched.id, other.id]));
    // Locked timers: the re-scheduled one is unlocked by the upsert, the others keep their lock.
    await ds.query(`UPDATE pm_timer SET locked_until = '2030-01-01' WHERE process_id = ANY($1)`, [
      [single.id, batched.id],
    ]);
    await store.commitStep(single.second);
    const stale = { ...other.second, expectedVersion: 5 };
    // A second active instance for the same key.
    const clash = { ...scenario('batched').first, inbox: { messageId: 'm-clash' } };
    expect(await written([batched.second, stale, clash])).toEqual(new Set([batched.id]));
    // The same step again (its inbox row exists): not written twice.
    expect(await written([batched.second, other.second])).toEqual(new Set([other.id]));

    const expected = await snapshot(single.id, 'single');
    expect(expected.timers.map((t: { name: string | null }) => t.name)).toEqual(['again', 'keep']);
    expect(expected.outbox).toHaveLength(3);
    expect(await snapshot(batched.id, 'batched')).toEqual(expected);
  });

  it('carries the marks of earlier dispatches in the next step statement, single or batched', async () => {
    /** The transaction that last wrote each outbox row, and the one that last wrote the instance. */
    const writers = async (decision: Decision, processId: string) => {
      const ids = decision.outgoing.map((m) => m.metadata.messageId);
      const marked = await ds.query(
        `SELECT xmin::text AS tx, dispatched_at FROM pm_outbox WHERE id = ANY($1) AND dispatched_at IS NOT NULL`,
        [ids],
      );
      const [process] = await ds.query(`SELECT xmin::text AS tx FROM pm_process WHERE id = $1`, [processId]);
      return {
        marked: marked.length,
        sameTransaction: marked.every((row: { tx: string }) => row.tx === process.tx),
      };
    };
    const ids = (decision: Decision) => decision.outgoing.map((m) => m.metadata.messageId);
    const single = scenario('carried-single');
    const batched = scenario('carried-batched');
    await store.commitStep(single.first);
    await written([batched.first]);

    const singleMarked = store.markDispatched(ids(single.first), at(5));
    await store.commitStep(single.second);
    await singleMarked;
    expect(await writers(single.first, single.id)).toEqual({ marked: 2, sameTransaction: true });

    // Marks ride along while steps flow: each is added right after a step statement committed.
    await store.commitStep(scenario('flowing-1').first);
    const batchedMarked = store.markDispatched(ids(batched.first), at(6));
    await written([batched.second]);
    await batchedMarked;
    expect(await writers(batched.first, batched.id)).toEqual({ marked: 2, sameTransaction: true });

    // A batch that writes no step (stale) still writes the marks it carried.
    await store.commitStep(scenario('flowing-2').first);
    const staleMarked = store.markDispatched(ids(batched.second), at(7));
    expect(await written([{ ...batched.second, expectedVersion: 9 }])).toEqual(new Set());
    await staleMarked;
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM pm_outbox WHERE id = ANY($1) AND dispatched_at = $2`,
      [ids(batched.second), at(7)],
    );
    expect(n).toBe(1);
  });

  it('writes carried marks on their own when their step statement is refused', async () => {
    const { first } = scenario('refused');
    await store.commitStep(first);
    const ids = first.outgoing.map((m) => m.metadata.messageId);
    const marked = store.markDispatched(ids, at(7));
    // Not JSON: PostgreSQL refuses the whole statement, and with it the marks it carried.
    const refused = { ...scenario('refused-2').first, instance: { ...first.instance, id: 'not-a-uuid' } };
    await expect(store.commitStep(refused)).rejects.toThrow();
    await marked;
    const rows = await ds.query(
      `SELECT count(*)::int AS n FROM pm_outbox WHERE id = ANY($1) AND dispatched_at IS NOT NULL`,
      [ids],
    );
    expect(rows[0].n).toBe(2);
  });
});
