import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { CounterEvent } from '../fixtures/counter.messages.js';
import {
  RAW_INSERT_STEP_SQL,
  RAW_LOAD_SQL,
  RAW_MARK_DISPATCHED_SQL,
  RAW_UPDATE_STEP_SQL,
} from '../fixtures/raw.sql.js';
import { createDatabase } from '../harness/database.js';
import { measureLevel } from '../harness/level.js';
import { type CounterLevel, counterPlan, settleLevel, type WorkloadContext } from '../harness/workload.js';

const TYPE = 'bench-raw';

/**
 * The ceiling of one transaction per event: the store's per-event SQL sent with `pg` on a pool of
 * `inFlight` connections, no Nest, no engine, no dispatch. `markDispatched` adds the library's
 * second per-event transaction (the outbox mark) to show what it costs.
 */
export async function runRawSql(
  context: WorkloadContext,
  inFlight: number,
  markDispatched = false,
): Promise<CounterLevel> {
  const database = await createDatabase(context.server.url, `raw_${inFlight}`, context.config);
  const pool = new pg.Pool({ connectionString: database.url, max: inFlight });
  // An idle client may see the server close it while the pool ends; that is not a failure.
  pool.on('error', () => undefined);
  try {
    const figures = await measureLevel(
      counterPlan(context, inFlight, 'uniform', [database.url]),
      async (event) => {
        try {
          await step(pool, event, markDispatched);
          return true;
        } catch {
          return false;
        }
      },
    );
    return await settleLevel(
      context,
      database.url,
      figures,
      `SELECT coalesce(sum((state->>'count')::int), 0)::int AS applied FROM pm_process WHERE type = $1`,
      [TYPE],
    );
  } finally {
    await pool.end();
    await database.drop();
  }
}

async function step(pool: pg.Pool, event: CounterEvent, markDispatched: boolean): Promise<void> {
  const messageId = `raw-${event.n}`;
  for (let attempt = 1; attempt <= 10; attempt++) {
    const { rows } = await pool.query<{
      id: string | null;
      version: number | null;
      state: { count: number };
    }>({
      name: 'raw_load',
      text: RAW_LOAD_SQL,
      values: [TYPE, event.key, messageId],
    });
    const current = rows[0]!;
    const count = (current.state?.count ?? 0) + 1;
    const isNew = current.id === null;
    const now = new Date();
    const outboxId = randomUUID();
    const completed = count >= event.total;
    try {
      const result = await pool.query<{ committed: number }>({
        name: isNew ? 'raw_insert_step' : 'raw_update_step',
        text: isNew ? RAW_INSERT_STEP_SQL : RAW_UPDATE_STEP_SQL,
        values: [
          current.id ?? randomUUID(),
          TYPE,
          event.key,
          completed ? 'completed' : 'running',
          JSON.stringify({ count }),
          now,
          completed ? now : null,
          current.version ?? 0,
          messageId,
          JSON.stringify([{ kind: 'command', type: 'Ack', payload: { n: event.n } }]),
          outboxId,
          JSON.stringify({ n: event.n }),
          JSON.stringify({ messageId: outboxId, correlationId: current.id, causationId: messageId }),
        ],
      });
      if (result.rows[0]!.committed !== 1) continue;
    } catch (error) {
      if ((error as { code?: string }).code === '23505') continue;
      throw error;
    }
    if (markDispatched) {
      await pool.query({ name: 'raw_mark', text: RAW_MARK_DISPATCHED_SQL, values: [[outboxId], new Date()] });
    }
    return;
  }
  throw new Error(`event ${event.n}: version conflict 10 times`);
}
