import { describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { EventBus } from '@nestjs/cqrs';
import { OnEvent, ProcessManager, ProcessManagerService, type ProcessContext } from 'nestjs-process-manager';
import pg from 'pg';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { TimerPoller } from '../../src/scheduling/index.js';
import { dataSourceOf } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';

class MeterRead {
  constructor(
    readonly meterId: string,
    readonly reading: number,
  ) {}
}

@ProcessManager({ name: 'meter', correlationKey: 'meterId', initialState: () => ({ readings: 0 }) })
class MeterProcess {
  @OnEvent(MeterRead, { start: true })
  onRead(_event: MeterRead, ctx: ProcessContext<{ readings: number }>) {
    ctx.state.readings++;
  }
}

const TERMINATE_OTHERS = `
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()`;

describe('connections that PostgreSQL terminates (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  const start = () =>
    createApp({
      url: db.url,
      providers: [MeterProcess],
      options: { retry: { initialDelayMs: 20, maxDelayMs: 100 } },
    });
  const poolOf = (app: TestingModule) => (dataSourceOf(app).driver as unknown as { master: pg.Pool }).master;

  /** The error listeners of a client at the moment the pool hands it to a waiter (TypeORM's query runner). */
  const listenersAtHandOff = (pool: pg.Pool) =>
    new Promise<number>((resolve, reject) =>
      pool.connect((error, client, release) => {
        if (error || !client) return reject(error ?? new Error('no client'));
        const count = client.listenerCount('error');
        release();
        resolve(count);
      }),
    );

  it('gives every pool client an error listener, also while it is handed from one user to the next', async () => {
    const app = await start();
    const pool = poolOf(app);
    await dataSourceOf(app).query('SELECT 1'); // an idle client exists
    expect(pool.idleCount).toBeGreaterThan(0);
    expect(await listenersAtHandOff(pool)).toBeGreaterThan(0); // an idle client, reused

    const busy = await Promise.all(Array.from({ length: pool.idleCount }, () => pool.connect()));
    try {
      expect(pool.idleCount).toBe(0);
      expect(await listenersAtHandOff(pool)).toBeGreaterThan(0); // a client connected for this waiter
    } finally {
      for (const client of busy) client.release();
    }
  });

  it('survives every connection being terminated while busy, and keeps working', async () => {
    const app = await start();
    const bus = app.get(EventBus);
    const processes = app.get(ProcessManagerService);
    const dataSource = dataSourceOf(app);
    const admin = new pg.Client({ connectionString: db.url });
    admin.on('error', () => undefined);
    await admin.connect();
    let terminations = 0;
    try {
      const meters = Array.from({ length: 40 }, () => uniqueKey('meter'));
      for (let round = 0; round < 15; round++) {
        // Keep the store's pool.query and TypeORM's query runners competing for the pool…
        for (const meterId of meters) bus.publish(new MeterRead(meterId, round));
        const queries = Array.from({ length: 30 }, () =>
          dataSource.query('SELECT pg_sleep(0.001)').catch(() => null),
        );
        // …and end every connection of the app's database meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 5 + (round % 4) * 5));
        const { rows } = await admin.query<{ terminated: number }>(TERMINATE_OTHERS);
        terminations += rows[0]!.terminated;
        await Promise.all(queries);
      }
      expect(terminations).toBeGreaterThan(0);

      // Still up (an 'error' without a listener would have crashed the test process) and working.
      // The jobs are off in this app: a step that met a terminated connection was recorded as a retry,
      // which the poller's round (every second in an app) delivers.
      const poller = app.get(TimerPoller);
      const meterId = uniqueKey('meter');
      bus.publish(new MeterRead(meterId, 1));
      // A query of our own may still meet a connection PostgreSQL ended a moment ago: ask again.
      const readingsOf = async (key: string) => {
        await poller.tickOnce().catch(() => 0);
        const instance = await processes.find('meter', key).catch(() => null);
        return instance?.state as { readings: number } | undefined;
      };
      expect(await waitFor(() => readingsOf(meterId), 'a step after the terminations')).toEqual({
        readings: 1,
      });

      // Nothing the terminations hit was lost or applied twice: every meter counted each round once.
      for (const key of meters)
        expect(
          await waitFor(async () => (await readingsOf(key))?.readings === 15 && 15, `15 readings of ${key}`),
        ).toBe(15);
    } finally {
      await admin.end();
    }
  });
});
