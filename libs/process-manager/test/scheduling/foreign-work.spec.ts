import { randomUUID } from 'node:crypto';
import { describe, expect, it, jest } from '@jest/globals';
import { Injectable, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { TestingModule } from '@nestjs/testing';
import { OnEvent, ProcessManager, ProcessManagerService, type ProcessContext } from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { OutboxRelay, StuckProcessRecoverer, TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { useAppPool } from '../support/fixtures/app-pool.js';
import { uniqueKey } from '../support/messages.js';
import { countRows, query } from '../support/sql.js';

// Two services on one database, each with its own process classes: only "alpha" knows these.
class AlphaStarted {
  constructor(readonly alphaId: string) {}
}
class Remind {
  constructor(readonly alphaId: string) {}
}
class AlphaPoked {
  constructor(readonly alphaId: string) {}
}
class ChargeAlpha {
  constructor(readonly alphaId: string) {}
}

@Injectable()
class AlphaLog {
  readonly reminded: string[] = [];
  readonly charged: string[] = [];
  failNextPoke = false;
}

@ProcessManager({ name: 'alpha', correlationKey: 'alphaId' })
class AlphaProcess {
  constructor(private readonly log: AlphaLog) {}

  @OnEvent(AlphaStarted, { start: true })
  onStarted(event: AlphaStarted, ctx: ProcessContext<object>) {
    ctx.schedule(new Remind(event.alphaId), { after: '1m' });
  }

  @OnEvent(Remind)
  onRemind(event: Remind) {
    this.log.reminded.push(event.alphaId);
  }

  @OnEvent(AlphaPoked)
  onPoked() {
    if (this.log.failNextPoke) {
      this.log.failNextPoke = false;
      throw new Error('alpha is busy');
    }
  }
}

@CommandHandler(ChargeAlpha)
class ChargeAlphaHandler implements ICommandHandler<ChargeAlpha> {
  constructor(private readonly log: AlphaLog) {}

  execute(command: ChargeAlpha): Promise<void> {
    this.log.charged.push(command.alphaId);
    return Promise.resolve();
  }
}

// ... and only "beta" these.
class BetaStarted {
  constructor(readonly betaId: string) {}
}
class BetaDue {
  constructor(readonly betaId: string) {}
}

@ProcessManager({ name: 'beta', correlationKey: 'betaId', initialState: () => ({ fired: 0 }) })
class BetaProcess {
  @OnEvent(BetaStarted, { start: true })
  onStarted(event: BetaStarted, ctx: ProcessContext<{ fired: number }>) {
    ctx.schedule(new BetaDue(event.betaId), { after: '1m' });
  }

  @OnEvent(BetaDue)
  onDue(_event: BetaDue, ctx: ProcessContext<{ fired: number }>) {
    ctx.state.fired++;
  }
}

describe('services with different process classes on one database (PostgreSQL)', () => {
  const db = useTestDatabase();
  const apps = useAppPool(db);

  async function boot() {
    const clock = new VirtualClock();
    const options = { retry: { initialDelayMs: 1_000, maxDelayMs: 1_000 } };
    const alpha = await apps.start({
      providers: [AlphaLog, AlphaProcess, ChargeAlphaHandler],
      clock,
      options,
    });
    const beta = await apps.start({ providers: [BetaProcess], clock, options });
    return { clock, alpha, beta };
  }

  async function startAlpha(alpha: TestingModule) {
    const alphaId = uniqueKey('alpha');
    await alpha.get(ProcessManagerService).deliver(new AlphaStarted(alphaId));
    return (await alpha.get(ProcessManagerService).find('alpha', alphaId))!;
  }

  const lockedTimers = (app: TestingModule) => countRows(app, 'pm_timer', 'locked_until IS NOT NULL');

  it("claims only its own timers and leaves the other service's unlocked", async () => {
    const { clock, alpha, beta } = await boot();
    const a = await startAlpha(alpha);
    const betaId = uniqueKey('beta');
    await beta.get(ProcessManagerService).deliver(new BetaStarted(betaId));

    clock.advance('1m');
    expect(await beta.get(TimerPoller).tickOnce()).toBe(1);
    expect(await beta.get(ProcessManagerService).find('beta', betaId)).toMatchObject({ state: { fired: 1 } });
    expect(await lockedTimers(beta)).toBe(0);

    expect(await alpha.get(TimerPoller).tickOnce()).toBe(1); // at once: nothing was left locked
    expect(alpha.get(AlphaLog).reminded).toEqual([a.correlationKey]);
    expect(await countRows(alpha, 'pm_timer')).toBe(0);
  });

  it('claims only the retries of its own handlers', async () => {
    const { clock, alpha, beta } = await boot();
    const a = await startAlpha(alpha);
    alpha.get(AlphaLog).failNextPoke = true;
    await alpha.get(ProcessManagerService).deliver(new AlphaPoked(a.correlationKey));
    expect(await countRows(alpha, 'pm_dead_letter', `status = 'retrying'`)).toBe(1);

    clock.advance('2s'); // the retry is due; the Remind timer is not yet
    expect(await beta.get(TimerPoller).tickOnce()).toBe(0);
    expect(await alpha.get(TimerPoller).tickOnce()).toBe(1);
    expect(await countRows(alpha, 'pm_dead_letter')).toBe(0);
  });

  it("relays only outbox rows it can rebuild, and leaves the other service's to it", async () => {
    const { clock, alpha, beta } = await boot();
    const a = await startAlpha(alpha);
    const messageId = randomUUID();
    await query(
      alpha,
      `INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at)
       VALUES ($1, $2, 'command', 'ChargeAlpha', $3, $4, $5, $5)`,
      [
        messageId,
        a.id,
        JSON.stringify({ alphaId: a.correlationKey }),
        JSON.stringify({ messageId, correlationId: a.id, occurredAt: clock.now().toISOString() }),
        clock.now(),
      ],
    );

    expect(await beta.get(OutboxRelay).tickOnce()).toBe(0);
    expect(await alpha.get(OutboxRelay).tickOnce()).toBe(1); // at once: beta left it unleased
    expect(alpha.get(AlphaLog).charged).toEqual([a.correlationKey]);
  });

  it('warns once per type, rate-limited, about due work that no claim of this app takes', async () => {
    const { clock, alpha, beta } = await boot();
    await startAlpha(alpha);
    await startAlpha(alpha);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    const recovery = beta.get(StuckProcessRecoverer);
    const warnings = () =>
      warn.mock.calls
        .map(([message]) => String(message))
        .filter((message) => message.includes('alpha / Remind'));

    clock.advance('2m'); // due, but not long enough to say that alpha is gone
    await recovery.tickOnce();
    expect(warnings()).toEqual([]);

    clock.advance('5m');
    await recovery.tickOnce();
    await recovery.tickOnce();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(
      /^At least 2 timer\(s\) alpha \/ Remind due for over 5 min, and this app takes none/,
    );

    clock.advance('10m');
    await recovery.tickOnce();
    expect(warnings()).toHaveLength(2);
  });
});
