import { describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { EventBus } from '@nestjs/cqrs';
import { ProcessDeadLettered, ProcessManagerService } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import {
  FaultInjector,
  JOB_PROVIDERS,
  JobCheckRequested,
  JobQueued,
  JobStepDone,
} from '../support/fixtures/jobs.js';
import { failureOf, timersOf } from '../support/fixtures/queries.js';
import { Recorder } from '../support/fixtures/recorder.js';
import { uniqueKey, withMessageId } from '../support/messages.js';
import { countRows } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

const RETRY = { maxAttempts: 2, initialDelayMs: 1_000, maxDelayMs: 1_000, factor: 2 };

describe('dead letters and retry() (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  async function brokenJob() {
    const clock = new VirtualClock();
    const app = await apps.start({ providers: JOB_PROVIDERS, clock, options: { retry: RETRY } });
    const processes = app.get(ProcessManagerService);
    const jobId = uniqueKey('job');
    app.get(EventBus).publish(new JobQueued(jobId));
    const instance = await waitFor(() => processes.find('job', jobId), 'the job');
    app.get(FaultInjector).broken = true;
    return { app, clock, processes, jobId, instance, poller: app.get(TimerPoller) };
  }

  /** Waits for each delivery's first failure, then lets its one retry fail too. */
  async function exhaust(app: TestingModule, clock: VirtualClock, ...messageIds: string[]) {
    for (const messageId of messageIds) {
      await waitFor(() => failureOf(app, messageId), `the first failure of ${messageId}`);
    }
    clock.advance(RETRY.maxDelayMs);
    expect(await app.get(TimerPoller).tickOnce()).toBe(messageIds.length);
    for (const messageId of messageIds) {
      expect(await failureOf(app, messageId)).toMatchObject({ status: 'dead', attempts: 2 });
    }
  }

  const deadLettered = (app: TestingModule) => app.get(Recorder).eventsOf(ProcessDeadLettered);

  it('parks events whose handler keeps throwing, keeps the instance, and retry() applies them in order', async () => {
    const { app, clock, processes, jobId, instance } = await brokenJob();
    const failedAt = clock.now();
    const [a, b] = [uniqueKey('step-a'), uniqueKey('step-b')];
    app.get(EventBus).publish(withMessageId(new JobStepDone(jobId, 'a'), a));
    await waitFor(() => failureOf(app, a), 'the first failure of a');
    clock.advance(1);
    app.get(EventBus).publish(withMessageId(new JobStepDone(jobId, 'b'), b));
    await exhaust(app, clock, a, b);

    const letters = await processes.deadLetters();
    expect(letters.map((letter) => letter.messageId)).toEqual([a, b]);
    expect(letters[0]).toMatchObject({
      handler: 'job',
      processId: instance.id,
      correlationKey: jobId,
      messageType: 'JobStepDone',
      messageId: a,
      payload: { jobId, label: 'a' },
      status: 'dead',
      attempts: 2,
      error: 'Error: job handler broken at a',
      firstFailedAt: failedAt,
      lastFailedAt: clock.now(),
    });
    expect(letters[0]!.stack).toContain('Error: job handler broken at a');
    expect(letters[0]!.stack).toContain('FaultInjector.hit');
    expect(letters[1]).toMatchObject({ processId: instance.id, error: 'Error: job handler broken at b' });

    const parked = await processes.get(instance.id);
    expect(parked).toMatchObject({
      status: 'running',
      stateName: 'queued',
      state: { steps: [] },
      version: 1,
    });
    expect(parked?.lastError).toMatch(/^Error: job handler broken at [ab]$/);
    const notices = await waitFor(
      () => deadLettered(app).length === 2 && deadLettered(app),
      'ProcessDeadLettered',
    );
    expect(notices.map((notice) => notice.messageType)).toEqual(['JobStepDone', 'JobStepDone']);
    expect(notices[0]).toMatchObject({ processId: instance.id, processType: 'job', correlationKey: jobId });

    app.get(FaultInjector).broken = false;
    await processes.retry(instance.id);
    const retried = await processes.get(instance.id);
    // Version 2 is the retry's own history row (see test/dashboard/operator-audit.spec.ts).
    expect(retried).toMatchObject({ state: { steps: ['a', 'b'] }, version: 4 });
    expect(retried?.lastError).toBeUndefined(); // the mark of the dead letter goes with it
    expect(await processes.deadLetters()).toEqual([]);
    expect(await countRows(app, 'pm_dead_letter')).toBe(0);
    const history = await processes.history(instance.id);
    expect(history.slice(2).map((entry) => entry.messageId)).toEqual([a, b]);
    expect(deadLettered(app)).toHaveLength(2);
  });

  it('does the same for a timer whose handler keeps throwing', async () => {
    const { app, clock, processes, jobId, instance, poller } = await brokenJob();
    app.get(EventBus).publish(new JobCheckRequested(jobId));
    const [timer] = await waitFor(async () => {
      const timers = await timersOf(app, instance.id);
      return timers.length === 1 && timers;
    }, 'the check timer');
    clock.advance('1m');
    expect(await poller.tickOnce()).toBe(1);
    await exhaust(app, clock, timer!.id);

    const [letter] = await processes.deadLetters();
    expect(letter).toMatchObject({
      processId: instance.id,
      messageType: 'JobCheck',
      messageId: timer!.id,
      attempts: 2,
      error: 'Error: job handler broken at check',
    });
    expect(await processes.get(instance.id)).toMatchObject({
      state: { checks: 0 },
      lastError: 'Error: job handler broken at check',
    });
    await waitFor(() => deadLettered(app).length === 1, 'ProcessDeadLettered');
    expect(deadLettered(app)[0]).toMatchObject({
      processId: instance.id,
      processType: 'job',
      correlationKey: jobId,
      messageType: 'JobCheck',
    });

    app.get(FaultInjector).broken = false;
    await processes.retry(instance.id);
    expect(await processes.get(instance.id)).toMatchObject({ state: { checks: 1 }, version: 4 }); // + the retry's row
    expect(await processes.deadLetters()).toEqual([]);
    expect(await countRows(app, 'pm_timer', 'process_id = $1', [instance.id])).toBe(0);
  });
});
