import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Decision } from '../../src/engine/decision.js';
import {
  GET_MANY_SQL,
  LOAD_BY_ID_SQL,
  LOAD_SQL,
  MARK_DISPATCHED_SQL,
  UPDATE_STEP,
} from '../../src/typeorm/process-sql.js';
import { BATCH_REACTION } from '../../src/typeorm/batch-sql.js';
import { CLAIM_OUTBOX_SQL, CLAIM_RETRIES_SQL, CLAIM_TIMERS_SQL } from '../../src/typeorm/scheduling-sql.js';
import { reactionBatchValues, stepValues } from '../../src/typeorm/step-params.js';
import { migrateTestDatabase, useTestDatabase } from '../support/database.js';

/**
 * Each hot-path statement must touch a bounded number of pages however many rows the tables hold: a
 * plan that scans them grows with the table. At this size pm_process's heap is ~840 pages and
 * pm_outbox's ~295; an `OR` between LOAD_SQL's two paths read the whole of pm_process (~847 blocks)
 * where its two index lookups read 6-12. What is measured is the generic plan, the one a long-lived
 * pooled connection runs: an EXPLAIN sent with parameters is planned for their values (a custom plan)
 * whatever plan_cache_mode says, so each statement is PREPAREd and EXPLAINed through EXECUTE.
 */

const LIVE = 20_000;
const COMPLETED = 20_000;
/** Live instances k1..k5000 are associated with o1..o5000; so are completed k1..k2500 with o1..o2500. */
const ASSOCIATED = 5_000;
/** ~4x what a single lookup reads (6-12 blocks); a read of every live instance is ~847. */
const BOUND = 50;

// Top-level: their afterAll (which drops the database) must run after the describes' (which disconnect).
const db = useTestDatabase();
/** The claims' own database: emptying and re-analyzing their tables must not touch the seed above. */
const claimsDb = useTestDatabase();

interface PlanNode {
  'Node Type': string;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  'Parent Relationship'?: string;
  'Subplan Name'?: string;
  'CTE Name'?: string;
  Plans?: PlanNode[];
}

type Row = Record<string, unknown>;

const sharedBlocks = (node: PlanNode) => node['Shared Hit Blocks'] + node['Shared Read Blocks'];

/**
 * Pages read and written by one run of an EXPLAINed plan. A data-modifying CTE that the rest of the
 * statement never reads runs after the top node has finished, so its blocks are added to the top
 * node's (FK checks, run as triggers, are not in the plan's figures).
 */
function blocksTouched(plan: PlanNode): number {
  const scanned = new Set<string>();
  const collect = (node: PlanNode) => {
    if (node['CTE Name']) scanned.add(node['CTE Name']);
    node.Plans?.forEach(collect);
  };
  collect(plan);
  const unread = (plan.Plans ?? []).filter(
    (child) =>
      child['Parent Relationship'] === 'InitPlan' &&
      child['Subplan Name']?.startsWith('CTE ') &&
      !scanned.has(child['Subplan Name'].slice(4)),
  );
  return unread.reduce((total, child) => total + sharedBlocks(child), sharedBlocks(plan));
}

const SEED = `
INSERT INTO pm_process (id, type, correlation_key, status, state, version, started_at, updated_at)
SELECT gen_random_uuid(), 'plans', 'k' || n, 'running', '{"n": 1}', 1 + n % 5,
  timestamptz '2030-01-01' - n * interval '1 second', timestamptz '2030-01-01'
FROM generate_series(1, ${LIVE}) n;

-- Ended instances, half of them on a live one's key and started earlier (first by started_at).
INSERT INTO pm_process (id, type, correlation_key, status, state, version, started_at, updated_at, completed_at)
SELECT gen_random_uuid(), 'plans', CASE WHEN n <= ${COMPLETED / 2} THEN 'k' || n ELSE 'done' || n END, 'completed',
  '{"n": 1}', 3, timestamptz '2020-01-01' + n * interval '1 second', timestamptz '2021-01-01', timestamptz '2021-01-01'
FROM generate_series(1, ${COMPLETED}) n;

INSERT INTO pm_association (type, key, value, process_id)
SELECT 'plans', 'order', 'o' || substr(p.correlation_key, 2), p.id
FROM pm_process p
WHERE p.correlation_key LIKE 'k%' AND substr(p.correlation_key, 2)::int <= ${ASSOCIATED}
  AND (p.status = 'running' OR substr(p.correlation_key, 2)::int <= ${ASSOCIATED / 2});

INSERT INTO pm_inbox (handler, message_id, process_id, handled_at)
SELECT 'plans', 'm' || substr(p.correlation_key, 2), p.id, p.updated_at
FROM pm_process p WHERE p.status = 'running';

INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at, dispatched_at)
SELECT gen_random_uuid(), p.id, 'command', 'Ship', '{}', '{}', p.updated_at, p.updated_at,
  CASE WHEN substr(p.correlation_key, 2)::int % 2 = 0 THEN p.updated_at END
FROM pm_process p WHERE p.status = 'running';

ANALYZE;`;

describe('hot-path statements touch a bounded number of pages, however large the tables', () => {
  let client: pg.Client;

  beforeAll(async () => {
    await migrateTestDatabase(db.url);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(SEED);
    await client.query('SET plan_cache_mode = force_generic_plan');
  });
  afterAll(async () => {
    await client?.end();
  });

  const rows = async (sql: string, values: readonly unknown[] = []): Promise<Row[]> =>
    (await client.query<Row>(sql, [...values])).rows;

  const liveInstance = async (key: string) => {
    const [row] = await rows(
      `SELECT id, version FROM pm_process WHERE correlation_key = $1 AND status = 'running'`,
      [key],
    );
    return { id: String(row!.id), version: Number(row!.version) };
  };

  /** A parameter as an SQL literal; untyped, it takes the type the statement infers for it. */
  const literal = (value: unknown): string => {
    if (value === null || value === undefined) return 'NULL';
    if (value instanceof Date) return client.escapeLiteral(value.toISOString());
    if (Array.isArray(value)) {
      const items = value.map((item: unknown) => `"${String(item).replace(/["\\]/g, '\\$&')}"`);
      return client.escapeLiteral(`{${items.join(',')}}`);
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return client.escapeLiteral(String(value));
    }
    throw new Error(`No literal for ${typeof value}`);
  };

  /** Pages read and written by one run of `sql`'s generic plan (see `blocksTouched`). */
  const blocksOf = async (sql: string, values: readonly unknown[], writes = false): Promise<number> => {
    await client.query(`PREPARE hot_path AS ${sql}`);
    try {
      const run = async () => {
        if (writes) await client.query('BEGIN');
        try {
          const [row] = await rows(
            `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE hot_path(${values.map(literal).join(', ')})`,
          );
          return (row!['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
        } finally {
          if (writes) await client.query('ROLLBACK');
        }
      };
      await run(); // the first run also reads catalog pages into the session's caches
      const plan = await run();
      const [prepared] = await rows(
        `SELECT generic_plans FROM pg_prepared_statements WHERE name = 'hot_path'`,
      );
      expect(Number(prepared!.generic_plans)).toBe(2);
      return blocksTouched(plan);
    } finally {
      await client.query('DEALLOCATE hot_path');
    }
  };

  describe('LOAD_SQL', () => {
    it('by correlation key reads index pages only, and finds the live instance', async () => {
      const live = await liveInstance('k77');
      const [found] = await rows(LOAD_SQL, ['plans', 'k77', 'm77', null]);
      expect(found).toMatchObject({ id: live.id, status: 'running', handled: true });
      expect(await blocksOf(LOAD_SQL, ['plans', 'k77', 'm77', null])).toBeLessThan(BOUND);
    });

    it('by association reads index pages only, not every live instance', async () => {
      const live = await liveInstance('k77');
      const [found] = await rows(LOAD_SQL, ['plans', 'o77', 'new-message', 'order']);
      expect(found).toMatchObject({ id: live.id, status: 'running', handled: false });
      expect(await blocksOf(LOAD_SQL, ['plans', 'o77', 'new-message', 'order'])).toBeLessThan(BOUND);
    });

    it('by association value of any key reads index pages only, not every live instance', async () => {
      const live = await liveInstance('k3000');
      const [found] = await rows(LOAD_SQL, ['plans', 'o3000', 'new-message', null]);
      expect(found).toMatchObject({ id: live.id, status: 'running' });
      expect(await blocksOf(LOAD_SQL, ['plans', 'o3000', 'new-message', null])).toBeLessThan(BOUND);
    });

    it('for a key with no instance reads index pages only, and finds nothing', async () => {
      const [found] = await rows(LOAD_SQL, ['plans', 'nobody', 'new-message', null]);
      expect(found).toMatchObject({ id: null, handled: false });
      expect(await blocksOf(LOAD_SQL, ['plans', 'nobody', 'new-message', null])).toBeLessThan(BOUND);
    });
  });

  it('LOAD_BY_ID_SQL reads index pages only', async () => {
    const live = await liveInstance('k15000');
    const [found] = await rows(LOAD_BY_ID_SQL, ['plans', live.id, 'm15000']);
    expect(found).toMatchObject({ id: live.id, handled: true });
    expect(await blocksOf(LOAD_BY_ID_SQL, ['plans', live.id, 'm15000'])).toBeLessThan(BOUND);
  });

  it('GET_MANY_SQL with 50 ids reads their index entries and rows only', async () => {
    const ids = (
      await rows(`SELECT id FROM pm_process WHERE status = 'running' ORDER BY random() LIMIT 50`)
    ).map((row) => String(row.id));
    expect(await rows(GET_MANY_SQL, [ids])).toHaveLength(50);
    // ~3 blocks per id (primary key descent, heap page): 147 observed, bounded by the ids, not the table.
    expect(await blocksOf(GET_MANY_SQL, [ids])).toBeLessThan(6 * 50);
  });

  it('MARK_DISPATCHED_SQL looks each id up: one id touches a few pages, 20 ids twenty times that', async () => {
    const ids = (
      await rows(`SELECT id FROM pm_outbox WHERE dispatched_at IS NULL ORDER BY random() LIMIT 21`)
    ).map((row) => String(row.id));
    const mark = (some: string[]) => [JSON.stringify(some), new Date('2030-01-02T00:00:00Z')];
    await client.query('BEGIN');
    try {
      expect(await rows(MARK_DISPATCHED_SQL, mark(ids.slice(1)))).toEqual([{ pm_mark_dispatched: 20 }]);
    } finally {
      await client.query('ROLLBACK');
    }
    // An update is ~16 blocks (lookup, new row version, three index entries), as much as a twentieth of
    // the heap: one id tells a lookup (16) from a scan (~300); 20 ids must cost 20 lookups (~320).
    expect(await blocksOf(MARK_DISPATCHED_SQL, mark(ids.slice(0, 1)), true)).toBeLessThan(BOUND);
    expect(await blocksOf(MARK_DISPATCHED_SQL, mark(ids.slice(1)), true)).toBeLessThan(20 * 22);
  });

  it('UPDATE_STEP.plain commits a step while touching a bounded number of pages', async () => {
    const live = await liveInstance('k4321');
    const now = new Date('2030-01-02T00:00:00Z');
    const messageId = randomUUID();
    const commandId = randomUUID();
    const decision: Decision = {
      isNew: false,
      expectedVersion: live.version,
      instance: {
        id: live.id,
        type: 'plans',
        correlationKey: 'k4321',
        status: 'running',
        stateName: 'shipping',
        state: { n: 2 },
        version: live.version + 1,
        startedAt: new Date('2029-12-31T22:47:59Z'),
        updatedAt: now,
      },
      inbox: { messageId },
      outgoing: [
        {
          kind: 'command',
          type: 'Ship',
          payload: { key: 'k4321' },
          metadata: { messageId: commandId, correlationId: 'k4321', causationId: messageId, occurredAt: now },
          message: {},
        },
      ],
      associations: [],
      timers: { scheduled: [], cancelled: [], cancelAll: false },
      history: {
        messageType: 'Paid',
        messageId,
        outcome: 'handled',
        fromState: 'paying',
        toState: 'shipping',
        status: 'running',
        commands: [{ kind: 'command', type: 'Ship', payload: { key: 'k4321' } }],
        at: now,
        input: { payload: {}, metadata: { messageId, occurredAt: now } },
      },
    };
    const values = stepValues(decision);
    expect(values).toHaveLength(27);

    await client.query('BEGIN');
    try {
      expect(await rows(UPDATE_STEP.plain, values)).toEqual([{ committed: 1 }]);
      expect(await rows(`SELECT count(*)::int AS n FROM pm_outbox WHERE id = $1`, [commandId])).toEqual([
        { n: 1 },
      ]);
    } finally {
      await client.query('ROLLBACK');
    }
    // 25 observed: the update, its inbox, history and outbox rows and their index entries.
    expect(await blocksOf(UPDATE_STEP.plain, values, true)).toBeLessThan(2 * BOUND);
  });

  it('BATCH_REACTION.plain commits reactions while touching pages bounded by the batch, not the tables', async () => {
    const now = new Date('2030-01-02T00:00:00Z');
    const reactions = (count: number) =>
      Array.from({ length: count }, (_, n) => ({
        handler: 'Receipts.onPaid',
        messageId: randomUUID(),
        at: now,
        records: [
          {
            processId: null,
            kind: 'command' as const,
            type: 'SendReceipt',
            payload: { n },
            metadata: { messageId: randomUUID(), occurredAt: now },
          },
        ],
      }));
    const twenty = reactionBatchValues(reactions(20));

    await client.query('BEGIN');
    try {
      expect(await rows(BATCH_REACTION.plain, twenty)).toHaveLength(20);
      expect(
        await rows(
          `SELECT count(*)::int AS n FROM pm_outbox WHERE type = 'SendReceipt' AND process_id IS NULL`,
        ),
      ).toEqual([{ n: 20 }]);
    } finally {
      await client.query('ROLLBACK');
    }
    // One reaction tells index lookups from a scan of pm_inbox or pm_outbox (hundreds of pages); twenty
    // must cost about twenty times one (22 and 440 observed: inbox and outbox rows, their index entries).
    const one = await blocksOf(BATCH_REACTION.plain, reactionBatchValues(reactions(1)), true);
    expect(one).toBeLessThan(BOUND);
    expect(await blocksOf(BATCH_REACTION.plain, twenty, true)).toBeLessThan(20 * one + BOUND);
  });
});

/**
 * A claim table that was ANALYZEd (autovacuum does it) when it had pages but no live row (every timer
 * fired, every message dispatched) has reltuples = 0: the planner then believes it holds one row, however
 * many it has gained since. `WHERE id IN (SELECT … LIMIT $3 FOR UPDATE SKIP LOCKED)` was then planned as a
 * Nested Loop Semi Join with the table (primary key scan, 1 row estimated) outside and the locking
 * sub-select inside, run again for every row of the table; `= ANY(ARRAY(…))` runs it once, as an InitPlan.
 * Analyzed with no page at all, the table's size is estimated from its pages and the old form was planned
 * well: so each table is filled and emptied before its ANALYZE.
 * The claims run as the library sends them, unnamed with parameters, so each is planned for the statistics
 * of the moment (a custom plan); so is the EXPLAIN sent the same way.
 */
describe('claims on a table analyzed while empty', () => {
  const DUE = 5_000;
  const BATCH = 100;
  const now = new Date('2030-01-02T00:00:00Z');
  const leaseEnd = new Date('2030-01-02T00:05:00Z');
  /** $4, $5: no scope (`routeParams(undefined)`, `outboxParams(undefined)`), every due row. */
  const params = [now, leaseEnd, BATCH, null, null];
  let client: pg.Client;

  const claims = [
    {
      claim: 'CLAIM_TIMERS_SQL',
      sql: CLAIM_TIMERS_SQL,
      table: 'pm_timer',
      due: 'due timers',
      fill: `
        INSERT INTO pm_timer (id, process_id, process_type, due_at, message_type, payload, created_at)
        SELECT gen_random_uuid(), (SELECT id FROM pm_process WHERE correlation_key = 'c1'), 'claims',
          timestamptz '2030-01-01' - n * interval '1 second', 'Due', '{}', timestamptz '2029-01-01'
        FROM generate_series(1, ${DUE}) n`,
      // 1,860 (PostgreSQL 18) to 2,090 (15) observed: 100 updates of ~20 pages each, their correlation
      // keys. The IN form touched 1.9-4.2 million (1.1-5.8 s) and claimed 165-192 timers, not 100.
      bound: 5_000,
    },
    {
      claim: 'CLAIM_OUTBOX_SQL',
      sql: CLAIM_OUTBOX_SQL,
      table: 'pm_outbox',
      due: 'pending messages',
      fill: `
        INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at)
        SELECT gen_random_uuid(), (SELECT id FROM pm_process WHERE correlation_key = 'c1'), 'command', 'Ship',
          '{}', '{}', timestamptz '2029-01-01', timestamptz '2030-01-01' - n * interval '1 second'
        FROM generate_series(1, ${DUE}) n`,
      // 1,800 observed on PostgreSQL 18; 11,600 on 15, whose sort on (available_at, created_at) reads every
      // pending row (~9,700 pages) before its LIMIT. The IN form touched 0.85-1.9 million (0.6-1.6 s) and
      // claimed 170-186 messages.
      bound: 25_000,
    },
    {
      claim: 'CLAIM_RETRIES_SQL',
      sql: CLAIM_RETRIES_SQL,
      table: 'pm_dead_letter',
      due: 'due retries',
      fill: `
        INSERT INTO pm_dead_letter (id, handler, message_type, message_id, payload, metadata, status, attempts,
          error, first_failed_at, last_failed_at, next_attempt_at)
        SELECT gen_random_uuid(), 'claims', 'Due', 'm' || n, '{}', '{}', 'retrying', 1, 'boom',
          timestamptz '2029-01-01', timestamptz '2029-01-01', timestamptz '2030-01-01' - n * interval '1 second'
        FROM generate_series(1, ${DUE}) n`,
      // 1,890 (PostgreSQL 18) to 2,070 (15) observed; the IN form touched 1.6-1.75 million (0.6-2 s) and
      // claimed 162-173 retries.
      bound: 5_000,
    },
  ];

  beforeAll(async () => {
    await migrateTestDatabase(claimsDb.url);
    client = new pg.Client({ connectionString: claimsDb.url });
    await client.connect();
    await client.query(`
      INSERT INTO pm_process (id, type, correlation_key, status, state, version, started_at, updated_at)
      VALUES (gen_random_uuid(), 'claims', 'c1', 'running', '{}', 1, timestamptz '2029-01-01', timestamptz '2029-01-01')`);
    for (const { table, fill } of claims) {
      // No autovacuum: an ANALYZE of the filled table would give the planner the true figures.
      await client.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
      await client.query(fill);
      await client.query(`DELETE FROM ${table}`);
      await client.query(`ANALYZE ${table}`);
      await client.query(fill);
    }
  });
  afterAll(async () => {
    await client?.end();
  });

  it.each(claims)(
    `$claim claims ${BATCH} of ${DUE.toLocaleString('en-US')} $due without re-running its sub-select per row`,
    async ({ sql, table, bound }) => {
      // The premise: the planner believes the table empty while it holds DUE due rows.
      const [stats] = (
        await client.query<Row>(
          `SELECT reltuples, relpages, (SELECT count(*) FROM ${table})::int AS live FROM pg_class WHERE oid = $1::regclass`,
          [table],
        )
      ).rows;
      expect(stats).toMatchObject({ reltuples: 0, live: DUE });
      expect(Number(stats!.relpages)).toBeGreaterThan(0);

      await client.query('BEGIN');
      try {
        expect((await client.query(sql, params)).rowCount).toBe(BATCH);
      } finally {
        await client.query('ROLLBACK');
      }

      await client.query('BEGIN');
      let plan: PlanNode;
      try {
        const [row] = (await client.query<Row>(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, params))
          .rows;
        plan = (row!['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan;
      } finally {
        await client.query('ROLLBACK');
      }
      expect(blocksTouched(plan)).toBeLessThan(bound);
    },
  );
});
