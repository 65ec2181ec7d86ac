import { describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { ProcessManagerService } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { TimerPoller } from '../../src/scheduling/index.js';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { query } from '../support/sql.js';
import {
  CounterBumped,
  CounterOpened,
  counterV1,
  counterV2,
  PROCESS,
  ReportCountHandler,
} from './counters.js';

const COUNTERS = 20;
const BUMPS = 6;

describe('a rolling deploy: versions 1 and 2 side by side on one database (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('never lets version 1 touch an instance version 2 wrote, loses nothing, and ends every instance as version 2 expects', async () => {
    const clock = new VirtualClock();
    const boot = (processClass: ReturnType<typeof counterV1>) =>
      createApp({ url: db.url, providers: [processClass, ReportCountHandler], clock });
    const v1 = await boot(counterV1());
    const counterIds = Array.from({ length: COUNTERS }, () => uniqueKey('counter'));
    for (const counterId of counterIds) {
      await v1.get(ProcessManagerService).deliver(new CounterOpened(counterId));
      await v1.get(ProcessManagerService).deliver(new CounterBumped(counterId, 1));
    }

    // Version 2 comes up beside version 1; the events of every counter reach both, all at once.
    const v2 = await boot(counterV2());
    const apps: TestingModule[] = [v1, v2];
    await Promise.all(
      counterIds.flatMap((counterId, c) =>
        Array.from({ length: BUMPS }, (_, b) =>
          apps[(c + b) % 2]!.get(ProcessManagerService).deliver(new CounterBumped(counterId, 1)),
        ),
      ),
    );
    // Version 1's poller takes its deferred deliveries again: still not its to process.
    clock.advance('1h');
    await v1.get(TimerPoller).tickOnce();
    const failures = await query<{ status: string; attempts: number; error: string }>(
      v1,
      'SELECT status, attempts, error FROM pm_dead_letter',
    );
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure).toMatchObject({ status: 'retrying', attempts: 0 });
      expect(failure.error).toMatch(/written by version 2, this app knows version 1/);
    }

    // The deploy finishes: version 1 stops and version 2 takes what version 1 deferred.
    await v1.close();
    for (let round = 0; round < 10; round++) {
      clock.advance('1h');
      if ((await v2.get(TimerPoller).tickOnce()) === 0) break;
    }

    const processes = v2.get(ProcessManagerService);
    for (const counterId of counterIds) {
      const instance = (await processes.find(PROCESS, counterId))!;
      expect(instance).toMatchObject({ stateVersion: 2, stateName: 'open' });
      expect((instance.state as { total: number }).total).toBe(1 + BUMPS);
      const history = await processes.history(instance.id);
      const versions = history.map((entry) => entry.stateVersion!);
      expect(versions).toEqual([...versions].sort((a, b) => a - b)); // never 1 after 2
      expect(history.filter((entry) => entry.messageType === 'CounterBumped')).toHaveLength(1 + BUMPS);
      expect(history.every((entry) => entry.outcome === 'handled')).toBe(true);
    }
    expect(await query(v2, 'SELECT id FROM pm_dead_letter')).toEqual([]);
  });
});
