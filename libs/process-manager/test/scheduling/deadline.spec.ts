import { describe, expect, it } from '@jest/globals';
import type { INestApplicationContext, Type } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import {
  EscalatingTaskProcess,
  TaskFinished,
  TaskOpened,
  TaskProcess,
} from '../support/fixtures/deadlines.js';
import { msBetween, timersOf } from '../support/fixtures/queries.js';
import { uniqueKey } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

describe('process deadline: @ProcessManager({ timeout }) (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  async function open(process: Type) {
    const clock = new VirtualClock();
    const app = await apps.start({ providers: [process], clock });
    const processes = app.get(ProcessManagerService);
    const taskId = uniqueKey('task');
    app.get(EventBus).publish(new TaskOpened(taskId));
    const instance = await waitFor(
      () => processes.find(process === TaskProcess ? 'task' : 'escalating-task', taskId),
      'the task',
    );
    return { app, clock, processes, taskId, instance, tick: () => app.get(TimerPoller).tickOnce() };
  }

  const historyOf = async (app: INestApplicationContext, processId: string) =>
    (await app.get(ProcessManagerService).history(processId)).map(
      ({ messageType, outcome, status, error }) => ({
        messageType,
        outcome,
        status,
        error,
      }),
    );

  it('fails a still-running instance with "timed out" when no handler takes ProcessTimedOut', async () => {
    const { app, clock, processes, instance, tick } = await open(TaskProcess);
    const [deadline] = await timersOf(app, instance.id);
    expect(deadline).toMatchObject({ message_type: 'ProcessManager.ProcessTimedOut' });
    expect(msBetween(instance.startedAt, deadline!.due_at)).toBe(60 * 60_000);

    clock.advance('59m');
    expect(await tick()).toBe(0);
    expect(await processes.get(instance.id)).toMatchObject({ status: 'running', version: 1 });

    clock.advance('1m');
    expect(await tick()).toBe(1);
    expect(await processes.get(instance.id)).toMatchObject({
      status: 'failed',
      lastError: 'timed out',
      stateName: 'open',
      version: 2,
    });
    expect(await historyOf(app, instance.id)).toEqual([
      { messageType: 'TaskOpened', outcome: 'handled', status: 'running', error: undefined },
      {
        messageType: 'ProcessManager.ProcessTimedOut',
        outcome: 'handled',
        status: 'failed',
        error: 'timed out',
      },
    ]);
    expect(await timersOf(app, instance.id)).toEqual([]);
  });

  it("runs the process's own @OnEvent(ProcessTimedOut) handler instead of failing it", async () => {
    const { app, clock, processes, instance, tick } = await open(EscalatingTaskProcess);
    clock.advance('1h');
    expect(await tick()).toBe(1);

    const deadline = new Date(instance.startedAt.getTime() + 60 * 60_000).toISOString();
    expect(await processes.get(instance.id)).toMatchObject({
      status: 'running',
      stateName: 'escalated',
      state: { timedOutAt: deadline },
      version: 2,
    });
    expect((await processes.get(instance.id))?.lastError).toBeUndefined();
    expect((await historyOf(app, instance.id)).at(-1)).toEqual({
      messageType: 'ProcessManager.ProcessTimedOut',
      outcome: 'handled',
      status: 'running',
      error: undefined,
    });
  });

  it('leaves an instance that completed before its deadline alone', async () => {
    const { app, clock, processes, taskId, instance, tick } = await open(TaskProcess);
    clock.advance('30m');
    app.get(EventBus).publish(new TaskFinished(taskId));
    const done = await waitFor(async () => {
      const current = await processes.get(instance.id);
      return current?.status === 'completed' && current;
    }, 'the task completed');
    expect(await timersOf(app, instance.id)).toEqual([]);

    clock.advance('2h');
    expect(await tick()).toBe(0);
    expect(await processes.get(instance.id)).toEqual(done);
    expect(await historyOf(app, instance.id)).toHaveLength(2);
  });
});
