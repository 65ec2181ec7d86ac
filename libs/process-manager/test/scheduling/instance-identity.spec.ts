import { describe, expect, it } from '@jest/globals';
import { ProcessManagerService } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import {
  Gates,
  WATCH_PROVIDERS,
  WatchRead,
  WatchReadBySerial,
  WatchStarted,
} from '../support/fixtures/watches.js';
import { uniqueKey } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe('one line per instance: a timer and an event for one instance never run at once (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  it.each([
    ['by its correlation key', (watchId: string) => new WatchRead(watchId)],
    ['through an association', (watchId: string) => new WatchReadBySerial(`serial-of-${watchId}`)],
  ])('runs an event addressed %s after the timer being delivered to its instance', async (_how, read) => {
    const clock = new VirtualClock();
    const app = await apps.start({ providers: WATCH_PROVIDERS, clock });
    const processes = app.get(ProcessManagerService);
    const gates = app.get(Gates);
    const watchId = uniqueKey('watch');
    await processes.deliver(new WatchStarted(watchId, '1m'));
    gates.hang(`due:${watchId}`);

    clock.advance('1m');
    const ticking = app.get(TimerPoller).tickOnce();
    await waitFor(() => gates.entered(`due:${watchId}`), 'the timer handler to be entered');
    const reading = processes.deliver(read(watchId));
    // Give an event that wrongly runs beside the timer the time to reach its handler.
    await waitFor(() => gates.entered(`read:${watchId}`), 'an overlapping read', 500).catch(() => undefined);
    gates.release(`due:${watchId}`);
    await Promise.all([ticking, reading]);

    expect(gates.maxActive).toBe(1);
    expect(gates.log).toEqual([
      `due:${watchId}:in`,
      `due:${watchId}:out`,
      `read:${watchId}:in`,
      `read:${watchId}:out`,
    ]);
    expect(await processes.find('watch', watchId)).toMatchObject({
      version: 3,
      state: { fired: 1, reads: 1 },
    });
  });
});
