import { describe, expect, it } from '@jest/globals';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { COUNTER_PROVIDERS, CounterOpened, type CounterState, Tick } from '../support/fixtures/counter.js';
import { uniqueKey } from '../support/messages.js';
import { countRows } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

describe('concurrent events for one instance (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('applies all 100 events published at once', async () => {
    const app = await createApp({ url: db.url, providers: COUNTER_PROVIDERS });
    const processes = app.get(ProcessManagerService);
    const counterId = uniqueKey('counter');
    app.get(EventBus).publish(new CounterOpened(counterId));
    const instance = await waitFor(() => processes.find('counter', counterId), 'the counter');

    for (let i = 0; i < 100; i++) app.get(EventBus).publish(new Tick(counterId, 1_000));
    const counted = await waitFor(async () => {
      const current = await processes.get(instance.id);
      return current?.version === 101 && current;
    }, 'version 101');

    expect((counted.state as CounterState).count).toBe(100);
    expect(counted.status).toBe('running');
    expect(
      await countRows(app, 'pm_history', `process_id = $1 AND message_type = 'Tick'`, [instance.id]),
    ).toBe(100);
    expect(await countRows(app, 'pm_inbox', 'process_id = $1', [instance.id])).toBe(101);
    expect(await countRows(app, 'pm_process', 'correlation_key = $1', [counterId])).toBe(1);
  });
});
