import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Module, ServiceUnavailableException } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  Clock,
  InvalidArgumentError,
  PROCESS_MANAGER_MIGRATIONS,
  ProcessManagerHealthIndicator,
  ProcessManagerModule,
  type ProcessManagerModuleOptions,
  ProcessManagerService,
} from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import pg from 'pg';
import { ProcessRunner } from '../../src/runtime/process-runner.js';
import { OutboxRelay, TimerPoller } from '../../src/scheduling/index.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import {
  Mailbox,
  MemberJoined,
  MemberNoted,
  MEMBERSHIP_PROVIDERS,
  ReminderWanted,
} from '../retention/membership.js';

const JOBS_OFF: ProcessManagerModuleOptions = {
  timers: { enabled: false },
  outbox: { enabled: false },
  recovery: { enabled: false },
  retention: { enabled: false },
};

describe('ProcessManagerHealthIndicator (PostgreSQL, @nestjs/terminus)', () => {
  const db = useTestDatabase();
  const open: TestingModule[] = [];
  beforeEach(async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string }>(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'pm\\_%'`,
      );
      if (rows.length > 0) await client.query(`TRUNCATE ${rows.map((row) => row.name).join(', ')}`);
    } finally {
      await client.end();
    }
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
  });

  /** An app as a user builds one with a health check: TerminusModule beside the process manager. */
  async function boot(clock: VirtualClock, options: ProcessManagerModuleOptions = {}) {
    @Module({
      imports: [
        CqrsModule.forRoot(),
        TypeOrmModule.forRoot({
          type: 'postgres',
          driver: pg,
          url: db.url,
          autoLoadEntities: true,
          migrations: PROCESS_MANAGER_MIGRATIONS,
          migrationsRun: true,
        }),
        ProcessManagerModule.forRoot({ ...JOBS_OFF, ...options }),
        TerminusModule,
      ],
      providers: MEMBERSHIP_PROVIDERS,
    })
    class HealthAppModule {}
    const app = await Test.createTestingModule({ imports: [HealthAppModule] })
      .overrideProvider(Clock)
      .useValue(clock)
      .compile();
    app.useLogger(false);
    await app.init();
    open.push(app);
    const indicator = app.get(ProcessManagerHealthIndicator);
    const deliver = async (event: object) => {
      await app.get(ProcessManagerService).deliver(event);
      await app.get(ProcessRunner).whenIdle();
    };
    return { app, indicator, deliver };
  }

  const up = { status: 'up', outboxLagSeconds: 0, timerLagSeconds: 0, openDeadLetters: 0, problems: [] };

  it('is up, with its figures, when messages leave, timers fire and nothing is dead-lettered', async () => {
    const { indicator, deliver } = await boot(new VirtualClock());
    await deliver(new MemberJoined(uniqueKey('member')));

    expect(await indicator.isHealthy()).toEqual({ processManager: up });
    expect(await indicator.isHealthy('pm', { deadLetters: 0 })).toEqual({ pm: up });
  });

  it('is down on a stuck outbox, naming the lag, and up again once the relay sends it', async () => {
    const clock = new VirtualClock();
    const { app, indicator, deliver } = await boot(clock);
    app.get(Mailbox).failWelcomes = true;
    await deliver(new MemberJoined(uniqueKey('member')));
    clock.advance('5m');

    expect(await indicator.isHealthy()).toEqual({
      processManager: { ...up, status: 'down', outboxLagSeconds: 300, problems: ['outbox lag 300 s > 60 s'] },
    });
    expect(await indicator.isHealthy('processManager', { outboxLag: '10m' })).toMatchObject({
      processManager: { status: 'up', outboxLagSeconds: 300 },
    });
    const checked = app.get(HealthCheckService).check([() => indicator.isHealthy()]);
    await expect(checked).rejects.toBeInstanceOf(ServiceUnavailableException);
    await expect(checked).rejects.toMatchObject({
      response: { status: 'error', error: { processManager: { problems: ['outbox lag 300 s > 60 s'] } } },
    });

    app.get(Mailbox).failWelcomes = false;
    await app.get(OutboxRelay).tickOnce();
    expect(await indicator.isHealthy()).toEqual({ processManager: up });
  });

  it('is down on late timers, naming the lag, and up again once the poller fires them', async () => {
    const clock = new VirtualClock();
    const { app, indicator, deliver } = await boot(clock);
    const member = uniqueKey('member');
    await deliver(new MemberJoined(member));
    await deliver(new ReminderWanted(member, '1m'));
    clock.advance('10m');

    expect(await indicator.isHealthy()).toEqual({
      processManager: { ...up, status: 'down', timerLagSeconds: 540, problems: ['timer lag 540 s > 60 s'] },
    });
    expect(await indicator.isHealthy('processManager', { timerLag: false })).toMatchObject({
      processManager: { status: 'up', timerLagSeconds: 540 },
    });

    await app.get(TimerPoller).tickOnce();
    expect(await indicator.isHealthy()).toEqual({ processManager: up });
  });

  it('counts open dead letters, down past the threshold when one is set', async () => {
    const { app, indicator, deliver } = await boot(new VirtualClock(), { retry: { maxAttempts: 1 } });
    const member = uniqueKey('member');
    await deliver(new MemberJoined(member));
    app.get(Mailbox).failNotes = true;
    await deliver(new MemberNoted(member, 'lost'));

    expect(await indicator.isHealthy()).toEqual({ processManager: { ...up, openDeadLetters: 1 } });
    expect(await indicator.isHealthy('processManager', { deadLetters: 1 })).toMatchObject({
      processManager: { status: 'up' },
    });
    expect(await indicator.isHealthy('processManager', { deadLetters: 0 })).toEqual({
      processManager: { ...up, status: 'down', openDeadLetters: 1, problems: ['open dead letters 1 > 0'] },
    });
  });

  it('names every problem at once', async () => {
    const clock = new VirtualClock();
    const { app, indicator, deliver } = await boot(clock);
    const member = uniqueKey('member');
    app.get(Mailbox).failWelcomes = true;
    await deliver(new MemberJoined(member));
    await deliver(new ReminderWanted(member, '30s'));
    clock.advance('2m');

    expect(await indicator.isHealthy()).toMatchObject({
      processManager: { status: 'down', problems: ['outbox lag 120 s > 60 s', 'timer lag 90 s > 60 s'] },
    });
  });

  it('is down when the database does not answer within the timeout', async () => {
    const { indicator } = await boot(new VirtualClock());
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE pm_outbox IN ACCESS EXCLUSIVE MODE');
    try {
      expect(await indicator.isHealthy('processManager', { timeout: '200ms' })).toEqual({
        processManager: {
          status: 'down',
          problems: ['database unreachable: Error: no answer within 200 ms'],
        },
      });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(await indicator.isHealthy()).toEqual({ processManager: up });
  });

  it('refuses a threshold that is no duration or count, naming it', async () => {
    const { indicator } = await boot(new VirtualClock());

    await expect(indicator.isHealthy('pm', { outboxLag: 'soon' })).rejects.toThrow(InvalidArgumentError);
    await expect(indicator.isHealthy('pm', { outboxLag: 'soon' })).rejects.toThrow(/outboxLag is "soon"/);
    await expect(indicator.isHealthy('pm', { deadLetters: -1 })).rejects.toThrow(/deadLetters is -1/);
  });
});
