import { describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService, type ProcessManagerModuleOptions } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { FaultInjector, JOB_PROVIDERS, JobQueued, JobStepDone } from '../support/fixtures/jobs.js';
import { failureOf, msBetween } from '../support/fixtures/queries.js';
import { uniqueKey, withMessageId } from '../support/messages.js';
import { countRows } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

const RETRY = { maxAttempts: 4, initialDelayMs: 1_000, maxDelayMs: 60_000, factor: 2 };

describe('handler retries with backoff (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  async function startJob(clock: VirtualClock, options: ProcessManagerModuleOptions) {
    const app = await apps.start({ providers: JOB_PROVIDERS, clock, options });
    const jobId = uniqueKey('job');
    app.get(EventBus).publish(new JobQueued(jobId));
    const instance = await waitFor(() => app.get(ProcessManagerService).find('job', jobId), 'the job');
    return { app, jobId, instance };
  }

  /** Publishes a step that the handler will fail, and waits for its first failure to be recorded. */
  async function failStep(app: TestingModule, jobId: string) {
    const messageId = uniqueKey('step');
    app.get(EventBus).publish(withMessageId(new JobStepDone(jobId, 'a'), messageId));
    const failure = await waitFor(() => failureOf(app, messageId), 'the first failure');
    return { messageId, failure };
  }

  it('retries a throwing handler with exponential backoff and applies it once when it succeeds', async () => {
    const clock = new VirtualClock();
    const { app, jobId, instance } = await startJob(clock, { retry: RETRY });
    const faults = app.get(FaultInjector);
    faults.failNext(2);
    const { messageId, failure: first } = await failStep(app, jobId);
    const poller = app.get(TimerPoller);

    expect(first).toMatchObject({ handler: 'job', status: 'retrying', attempts: 1 });
    expect(first.error).toBe('Error: transient failure at a');
    const firstDelay = msBetween(first.last_failed_at, first.next_attempt_at);
    expect(firstDelay).toBeGreaterThanOrEqual(500);
    expect(firstDelay).toBeLessThanOrEqual(1_000);

    // Not due yet: the jittered delay is at least half the initial delay.
    clock.advance(499);
    expect(await poller.tickOnce()).toBe(0);
    expect(faults.calls).toBe(1);

    clock.advance(501);
    expect(await poller.tickOnce()).toBe(1);
    const second = (await failureOf(app, messageId))!;
    expect(second).toMatchObject({ status: 'retrying', attempts: 2 });
    expect(second.first_failed_at).toEqual(first.first_failed_at);
    const secondDelay = msBetween(second.last_failed_at, second.next_attempt_at);
    expect(secondDelay).toBeGreaterThanOrEqual(1_000);
    expect(secondDelay).toBeLessThanOrEqual(2_000);

    clock.advance(2_000);
    expect(await poller.tickOnce()).toBe(1);
    expect(faults.calls).toBe(3);
    expect(await failureOf(app, messageId)).toBeUndefined();
    expect(await app.get(ProcessManagerService).get(instance.id)).toMatchObject({
      status: 'running',
      state: { steps: ['a'] },
      version: 2,
    });
    expect((await app.get(ProcessManagerService).get(instance.id))?.lastError).toBeUndefined();
    const history = await app.get(ProcessManagerService).history(instance.id);
    expect(history.filter((entry) => entry.messageId === messageId)).toEqual([
      expect.objectContaining({ messageType: 'JobStepDone', outcome: 'handled' }),
    ]);

    clock.advance('1h');
    expect(await poller.tickOnce()).toBe(0);
    expect(faults.calls).toBe(3);
  });

  it('keeps the attempt count across a restart instead of starting over', async () => {
    const clock = new VirtualClock();
    const options = { retry: { ...RETRY, maxAttempts: 3 } };
    const { app: before, jobId, instance } = await startJob(clock, options);
    before.get(FaultInjector).broken = true;
    const { messageId, failure: first } = await failStep(before, jobId);
    expect(first).toMatchObject({ status: 'retrying', attempts: 1 });
    await apps.stop(before);

    const after = await apps.start({ providers: JOB_PROVIDERS, clock, options });
    after.get(FaultInjector).broken = true;
    clock.advance('1m');
    expect(await after.get(TimerPoller).tickOnce()).toBe(1);
    expect(await failureOf(after, messageId)).toMatchObject({ status: 'retrying', attempts: 2 });

    clock.advance('1m');
    expect(await after.get(TimerPoller).tickOnce()).toBe(1);
    const last = (await failureOf(after, messageId))!;
    expect(last).toMatchObject({ status: 'dead', attempts: 3, next_attempt_at: null });
    expect(last.first_failed_at).toEqual(first.first_failed_at);
    expect(msBetween(last.first_failed_at, last.last_failed_at)).toBe(120_000);
    expect(after.get(FaultInjector).calls).toBe(2);

    clock.advance('1h');
    expect(await after.get(TimerPoller).tickOnce()).toBe(0);
    expect(await after.get(ProcessManagerService).get(instance.id)).toMatchObject({
      state: { steps: [] },
      version: 1,
    });
    expect(await countRows(after, 'pm_inbox', 'message_id = $1', [messageId])).toBe(0);
  });
});
