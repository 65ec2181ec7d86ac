import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OnEvent, ProcessManager, ProcessManagerService, type ProcessContext } from 'nestjs-process-manager';
import { PROCESS_MANAGER_JOBS, tick, VirtualClock } from 'nestjs-process-manager/testing';
import { TimerPoller } from '../../src/scheduling/timer.poller.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { createTestApp } from '../support/test-app.js';

class TrialStarted {
  constructor(readonly trialId: string) {}
}
class TrialExpired {
  constructor(readonly trialId: string) {}
}
class EndTrial {
  constructor(readonly trialId: string) {}
}

const ended: string[] = [];

@CommandHandler(EndTrial)
class EndTrialHandler implements ICommandHandler<EndTrial> {
  async execute(command: EndTrial): Promise<void> {
    ended.push(command.trialId);
  }
}

@ProcessManager({ name: 'tick-trial', correlationKey: 'trialId' })
class TrialProcess {
  @OnEvent(TrialStarted, { start: true })
  started(event: TrialStarted, ctx: ProcessContext) {
    ctx.schedule(new TrialExpired(event.trialId), { after: '14d' }, 'expiry');
  }

  @OnEvent(TrialExpired)
  expired(event: TrialExpired, ctx: ProcessContext) {
    ctx.send(new EndTrial(event.trialId));
    ctx.complete();
  }
}

describe('tick() (PostgreSQL)', () => {
  const db = useTestDatabase();
  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(schedule: boolean, onlyTimers = false) {
    const clock = new VirtualClock();
    app = await createTestApp({
      providers: [TrialProcess, EndTrialHandler],
      url: db.url,
      clock,
      schedule,
      // Intervals far apart: only tick() runs the jobs here.
      options: {
        timers: { pollIntervalMs: 600_000 },
        outbox: { relayIntervalMs: 600_000, enabled: !onlyTimers },
        recovery: { intervalMs: 600_000, enabled: !onlyTimers },
        retention: { enabled: !onlyTimers },
      },
    });
    const trialId = uniqueKey('trial');
    const pm = app.get(ProcessManagerService);
    await pm.deliver(new TrialStarted(trialId));
    return { app, clock, trialId, pm };
  }

  it('runs one round of every enabled job and waits for what it delivered', async () => {
    const { app, clock, trialId, pm } = await start(true);
    expect(await tick(app)).toBe(0); // nothing due yet

    clock.advance('14d');
    expect(await tick(app)).toBeGreaterThan(0);

    expect(ended).toContain(trialId); // the fired timer's command was handled before tick() resolved
    expect((await pm.list({ type: 'tick-trial', correlationKey: trialId })).items[0]?.status).toBe(
      'completed',
    );
  });

  it("waits for a round the job's interval had started before running its own", async () => {
    const { app, clock, trialId } = await start(true, true);
    clock.advance('14d');
    const running = app.get(TimerPoller).tickOnce(); // as the interval would: tick() finds it running

    await tick(app);

    expect(ended).toContain(trialId);
    await running;
  });

  it('leaves the jobs an app switched off alone', async () => {
    const { app, clock, trialId, pm } = await start(false);
    clock.advance('14d');

    expect(await tick(app)).toBe(0);
    const [instance] = (await pm.list({ type: 'tick-trial', correlationKey: trialId })).items;
    expect(instance?.status).toBe('running');
    expect(await pm.timers(instance!.id)).toEqual([expect.objectContaining({ name: 'expiry' })]);
  });

  it('names the jobs as SchedulerRegistry knows them', () => {
    expect(PROCESS_MANAGER_JOBS).toEqual({
      timers: 'pm:timer-poll',
      outboxRelay: 'pm:outbox-relay',
      recovery: 'pm:recovery',
      retention: 'pm:retention',
    });
  });
});
