import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { CounterEvent } from '../fixtures/counter.messages.js';
import { RAW_BATCH_COMMIT_SQL, RAW_BATCH_LOAD_SQL } from '../fixtures/raw-batch.sql.js';
import { createDatabase } from '../harness/database.js';
import { measureLevel } from '../harness/level.js';
import { type CounterLevel, counterPlan, settleLevel, type WorkloadContext } from '../harness/workload.js';

const TYPE = 'bench-raw-batched';
const MAX_BATCH = 256;

interface Pending {
  event: CounterEvent;
  done(ok: boolean): void;
}

interface Known {
  id: string;
  version: number;
  count: number;
}

/**
 * The group-commit ceiling (issue 12's goals compare against it): the raw SQL with group commit. One
 * committer connection writes every pending event (one per process) in one statement while events
 * keep arriving; the next batch is whatever queued up during the previous commit. No time window.
 */
export async function runRawBatched(context: WorkloadContext, inFlight: number): Promise<CounterLevel> {
  const database = await createDatabase(context.server.url, `raw_batched_${inFlight}`, context.config);
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  pool.on('error', () => undefined);
  const committer = new GroupCommitter(pool);
  try {
    const figures = await measureLevel(counterPlan(context, inFlight, 'uniform', [database.url]), (event) =>
      committer.submit(event),
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

class GroupCommitter {
  private readonly queue: Pending[] = [];
  private readonly known = new Map<string, Known>();
  private committing = false;

  constructor(private readonly pool: pg.Pool) {}

  submit(event: CounterEvent): Promise<boolean> {
    return new Promise((done) => {
      this.queue.push({ event, done });
      this.pump();
    });
  }

  private pump(): void {
    if (this.committing || this.queue.length === 0) return;
    const keys = new Set<string>();
    const batch: Pending[] = [];
    const later: Pending[] = [];
    for (const pending of this.queue) {
      if (keys.has(pending.event.key) || batch.length >= MAX_BATCH) later.push(pending);
      else {
        keys.add(pending.event.key);
        batch.push(pending);
      }
    }
    this.queue.splice(0, this.queue.length, ...later);
    this.committing = true;
    void this.commit(batch)
      .catch(() => batch.forEach((pending) => pending.done(false)))
      .finally(() => {
        this.committing = false;
        this.pump();
      });
  }

  private async commit(batch: Pending[]): Promise<void> {
    const unknown = batch.map((p) => p.event.key).filter((key) => !this.known.has(key));
    if (unknown.length > 0) {
      const { rows } = await this.pool.query<{
        id: string;
        key: string;
        version: number;
        state: { count: number };
      }>({ name: 'raw_batch_load', text: RAW_BATCH_LOAD_SQL, values: [TYPE, unknown] });
      for (const row of rows)
        this.known.set(row.key, { id: row.id, version: row.version, count: row.state.count });
    }
    const now = new Date();
    const steps = batch.map(({ event }) => {
      const known = this.known.get(event.key) ?? { id: randomUUID(), version: 0, count: 0 };
      const count = known.count + 1;
      return {
        event,
        known,
        count,
        outboxId: randomUUID(),
        status: count >= event.total ? 'completed' : 'running',
      };
    });
    const { rows } = await this.pool.query<{ id: string }>({
      name: 'raw_batch_commit',
      text: RAW_BATCH_COMMIT_SQL,
      values: [
        steps.map((s) => s.known.id),
        steps.map((s) => s.event.key),
        steps.map((s) => s.known.version),
        steps.map((s) => JSON.stringify({ count: s.count })),
        steps.map((s) => s.status),
        steps.map((s) => `raw-${s.event.n}`),
        steps.map((s) => s.outboxId),
        now,
        TYPE,
        steps.map((s) => JSON.stringify({ n: s.event.n })),
        steps.map((s) => JSON.stringify({ messageId: s.outboxId, causationId: `raw-${s.event.n}` })),
      ],
    });
    const committed = new Set(rows.map((row) => row.id));
    steps.forEach((step, index) => {
      const ok = committed.has(step.known.id);
      if (ok && step.status === 'completed') this.known.delete(step.event.key);
      else if (ok)
        this.known.set(step.event.key, { ...step.known, version: step.known.version + 1, count: step.count });
      else this.known.delete(step.event.key);
      batch[index]!.done(ok);
    });
  }
}
