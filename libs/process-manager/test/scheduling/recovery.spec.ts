import { describe, expect, it } from '@jest/globals';
import type { Type } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { EventBus } from '@nestjs/cqrs';
import {
  getMetadata,
  ProcessManagerService,
  ProcessStalled,
  type ProcessInstance,
} from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { ProcessRunner } from '../../src/runtime/process-runner.js';
import { OutboxRelay, StuckProcessRecoverer } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import {
  ChargingStarted,
  FailingSession,
  GracePeriodStarted,
  MeterRead,
  NotifyingSession,
  ResendingSession,
  SessionOpened,
  sessionProviders,
  StartCharger,
} from '../support/fixtures/chargers.js';
import { Recorder } from '../support/fixtures/recorder.js';
import { uniqueKey } from '../support/messages.js';
import { waitFor } from '../support/wait-for.js';

const NAMES = new Map<Type, string>([
  [NotifyingSession, 'session-notify'],
  [ResendingSession, 'session-resend'],
  [FailingSession, 'session-fail'],
]);

describe('stuck-process recovery with a virtual clock (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  async function boot(session: Type, clock = new VirtualClock()) {
    const app = await apps.start({ providers: sessionProviders(session), clock });
    const processes = app.get(ProcessManagerService);
    const type = NAMES.get(session)!;
    /** Publishes the events in order, each after the previous one was applied. */
    const drive = async (sessionId: string, ...events: object[]): Promise<ProcessInstance> => {
      let instance: ProcessInstance | null = await processes.find(type, sessionId);
      for (const event of events) {
        const version = instance?.version ?? 0;
        app.get(EventBus).publish(event);
        instance = await waitFor(async () => {
          const current = await processes.find(type, sessionId);
          return current && current.version > version && current;
        }, `${event.constructor.name} applied to ${sessionId}`);
      }
      // The commands are dispatched (and marked so) just after the commit; recovery skips pending rows.
      await app.get(ProcessRunner).whenIdle();
      return instance!;
    };
    /** Opens a new session, then applies each `then(sessionId)` event. */
    const open = (...then: ((sessionId: string) => object)[]) => {
      const sessionId = uniqueKey('session');
      return drive(sessionId, new SessionOpened(sessionId), ...then.map((make) => make(sessionId)));
    };
    return { app, clock, processes, drive, open, tick: () => app.get(StuckProcessRecoverer).tickOnce() };
  }

  const stalls = async (app: TestingModule, processId: string) =>
    (await app.get(ProcessManagerService).history(processId)).filter((entry) => entry.outcome === 'stalled');
  const stalledEvents = (app: TestingModule, processId: string) =>
    app
      .get(Recorder)
      .eventsOf(ProcessStalled)
      .filter((event) => event.processId === processId);

  it('applies stuckAfter per named state: 30s while charging, the 5m default elsewhere', async () => {
    const { app, clock, open, tick } = await boot(NotifyingSession);
    const charging = await open((id) => new ChargingStarted(id));
    const connecting = await open();

    clock.advance('29s');
    expect(await tick()).toBe(0);
    clock.advance('2s');
    expect(await tick()).toBe(1);
    expect(await stalls(app, charging.id)).toHaveLength(1);
    expect(await stalls(app, connecting.id)).toEqual([]);

    clock.advance(268_000); // 4m28s: the session opened 31s ago is at 4m59s
    expect(await tick()).toBe(0);
    clock.advance('1s');
    expect(await tick()).toBe(1);
    expect(await stalls(app, connecting.id)).toHaveLength(1);
    expect(await stalls(app, charging.id)).toHaveLength(1);
  });

  it("'notify' records the stall and publishes ProcessStalled once per stall", async () => {
    const { app, clock, processes, drive, open, tick } = await boot(NotifyingSession);
    const session = await open((id) => new ChargingStarted(id));
    clock.advance('31s');
    expect(await tick()).toBe(1);

    const [stall] = await stalls(app, session.id);
    expect(stall).toMatchObject({
      messageType: 'ProcessManager.ProcessStalled',
      fromState: 'charging',
      toState: 'charging',
      status: 'running',
    });
    await waitFor(() => stalledEvents(app, session.id).length === 1, 'ProcessStalled');
    expect(stalledEvents(app, session.id)[0]).toMatchObject({
      processType: 'session-notify',
      correlationKey: session.correlationKey,
      stateName: 'charging',
      idleMs: 31_000,
    });
    expect(await processes.get(session.id)).toMatchObject({ status: 'running', state: session.state });

    clock.advance('10m');
    expect(await tick()).toBe(0);
    expect(await stalls(app, session.id)).toHaveLength(1);

    await drive(session.correlationKey, new MeterRead(session.correlationKey));
    clock.advance('30s');
    expect(await tick()).toBe(1);
    expect(await stalls(app, session.id)).toHaveLength(2);
    await waitFor(() => stalledEvents(app, session.id).length === 2, 'a second ProcessStalled');
    expect(await processes.get(session.id)).toMatchObject({ status: 'running', state: { reads: 1 } });
  });

  it('reports a stall once when two app instances run recovery at the same time', async () => {
    const first = await boot(NotifyingSession);
    const second = await boot(NotifyingSession, first.clock);
    const session = await first.open((id) => new ChargingStarted(id));
    first.clock.advance('31s');

    const counts = await Promise.all([first.tick(), second.tick(), first.tick(), second.tick()]);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(await stalls(first.app, session.id)).toHaveLength(1);
    const published = () => [first.app, second.app].flatMap((app) => stalledEvents(app, session.id));
    await waitFor(() => published().length === 1, 'ProcessStalled');
  });

  it("'resend' re-dispatches the last step's commands with the same messageIds", async () => {
    const { app, clock, open, tick } = await boot(ResendingSession);
    const session = await open();
    const recorder = app.get(Recorder);
    await waitFor(() => recorder.commandsOf(StartCharger).length === 1, 'the first StartCharger');

    clock.advance('5m');
    expect(await tick()).toBe(1);
    await app.get(OutboxRelay).tickOnce();

    const sent = recorder.commandsOf(StartCharger);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
    expect(getMetadata(sent[1]!)?.messageId).toBeDefined();
    expect(getMetadata(sent[1]!)?.messageId).toBe(getMetadata(sent[0]!)?.messageId);
    expect(await stalls(app, session.id)).toHaveLength(1);
    await waitFor(() => stalledEvents(app, session.id).length === 1, 'ProcessStalled');

    clock.advance('1h');
    expect(await tick()).toBe(0);
    await app.get(OutboxRelay).tickOnce();
    expect(recorder.commandsOf(StartCharger)).toHaveLength(2);
  });

  it("'fail' fails the stuck instance", async () => {
    const { app, clock, processes, open, tick } = await boot(FailingSession);
    const session = await open();
    clock.advance(299_000);
    expect(await tick()).toBe(0);
    clock.advance('1s');
    expect(await tick()).toBe(1);

    const failed = await processes.get(session.id);
    expect(failed).toMatchObject({ status: 'failed', stateName: 'connecting' });
    expect(failed?.lastError).toMatch(/^stalled: no progress for 300s/);
    expect(await stalls(app, session.id)).toEqual([expect.objectContaining({ status: 'failed' })]);
    await waitFor(() => stalledEvents(app, session.id).length === 1, 'ProcessStalled');
  });

  it('does not report an instance that waits on a pending timer', async () => {
    const { app, clock, open, tick } = await boot(NotifyingSession);
    const waiting = await open((id) => new GracePeriodStarted(id));
    clock.advance('6h');
    expect(await tick()).toBe(0);
    expect(await stalls(app, waiting.id)).toEqual([]);
    expect(stalledEvents(app, waiting.id)).toEqual([]);
  });
});
