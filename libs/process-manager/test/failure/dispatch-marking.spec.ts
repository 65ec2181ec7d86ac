import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { VirtualClock } from 'nestjs-process-manager/testing';
import pg from 'pg';
import { OutboxRelay } from '../../src/scheduling/index.js';
import { TypeOrmProcessStore } from '../../src/typeorm/typeorm-process.store.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { ORDER_PROVIDERS, OrderPlaced } from '../support/fixtures/orders.js';
import { Recorder } from '../support/fixtures/recorder.js';
import { uniqueKey } from '../support/messages.js';
import { countRows } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

const BLOCKED_MARK = `
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%pm_mark_dispatched(%'`;

describe('marking outbox rows dispatched when PostgreSQL terminates the connection (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  it('resumes marking after the write in progress is terminated while others queue, and the outbox drains', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    const locker = new pg.Client({ connectionString: db.url });
    await Promise.all([admin.connect(), locker.connect()]);
    try {
      const clock = new VirtualClock();
      const app = await apps.start({ providers: ORDER_PROVIDERS, clock });
      const bus = app.get(EventBus);
      const recorder = app.get(Recorder);
      const warnings = jest.spyOn(Logger.prototype, 'warn');

      // The first mark blocks on a row lock held here, so the next marks queue up behind it.
      const markDispatched = TypeOrmProcessStore.prototype.markDispatched;
      let intercepted = false;
      jest.spyOn(TypeOrmProcessStore.prototype, 'markDispatched').mockImplementation(async function (
        this: TypeOrmProcessStore,
        ids: string[],
        at: Date,
      ) {
        if (!intercepted) {
          intercepted = true;
          await locker.query('BEGIN');
          await locker.query('SELECT id FROM pm_outbox WHERE id = ANY($1::uuid[]) FOR UPDATE', [ids]);
        }
        return markDispatched.call(this, ids, at);
      });

      bus.publish(new OrderPlaced(uniqueKey('order'), 1));
      const [blocked] = await waitFor(async () => {
        const { rows } = await admin.query<{ pid: number }>(BLOCKED_MARK);
        return rows.length === 1 && rows;
      }, 'the first mark waiting on the row lock');
      for (let order = 2; order <= 6; order++) bus.publish(new OrderPlaced(uniqueKey('order'), order));
      await waitFor(() => recorder.commands.length === 6, 'every ChargeCard sent');

      const { rows: terminated } = await admin.query<{ done: boolean }>(
        'SELECT pg_terminate_backend($1) AS done',
        [blocked!.pid],
      );
      expect(terminated).toEqual([{ done: true }]);
      await locker.query('ROLLBACK');

      await waitFor(
        async () =>
          (await countRows(app, 'pm_outbox')) === 12 &&
          (await countRows(app, 'pm_outbox', 'dispatched_at IS NULL')) === 0,
        'every row marked dispatched, the terminated write’s ones included',
      );
      bus.publish(new OrderPlaced(uniqueKey('order'), 7));
      await waitFor(
        async () =>
          (await countRows(app, 'pm_outbox')) === 14 &&
          (await countRows(app, 'pm_outbox', 'dispatched_at IS NULL')) === 0,
        'a later step’s rows marked too',
      );

      // The terminated write did fail (and said so); its rows went with the next write.
      expect(warnings.mock.calls.map(([message]) => String(message))).toContainEqual(
        expect.stringMatching(/^Could not mark 2 outbox row\(s\) dispatched \(.*terminat/),
      );
      clock.advance('1h');
      expect(await app.get(OutboxRelay).tickOnce()).toBe(0);
      expect(recorder.commands).toHaveLength(7);
      expect(await countRows(app, 'pm_dead_letter')).toBe(0);
    } finally {
      await Promise.all([admin.end(), locker.end()]);
    }
  });
});
