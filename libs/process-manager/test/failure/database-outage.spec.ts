import { describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { EventBus, UnhandledExceptionBus, type UnhandledExceptionInfo } from '@nestjs/cqrs';
import {
  DeliveryNotRecordedError,
  OnEvent,
  PendingLimitReachedError,
  ProcessManager,
  ProcessManagerService,
  type ProcessContext,
} from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import pg from 'pg';
import { ProcessRunner } from '../../src/runtime/process-runner.js';
import { TimerPoller } from '../../src/scheduling/index.js';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey, withMessageId } from '../support/messages.js';
import { countRows, query } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

class ReadingTaken {
  constructor(
    readonly sensorId: string,
    readonly value: number,
  ) {}
}

@ProcessManager({ name: 'sensor', correlationKey: 'sensorId', initialState: () => ({ values: [] }) })
class SensorProcess {
  @OnEvent(ReadingTaken, { start: true })
  onReading(event: ReadingTaken, ctx: ProcessContext<{ values: number[] }>) {
    ctx.state.values.push(event.value);
  }
}

/** Every log line of the app, by level. */
class CapturedLog implements LoggerService {
  readonly lines: { level: string; context: string; message: string }[] = [];
  log = (message: unknown, context?: string) => this.add('log', message, context);
  error = (message: unknown, _stack?: unknown, context?: string) => this.add('error', message, context);
  warn = (message: unknown, context?: string) => this.add('warn', message, context);
  debug = (message: unknown, context?: string) => this.add('debug', message, context);
  verbose = (message: unknown, context?: string) => this.add('verbose', message, context);

  at(level: string): string[] {
    return this.lines
      .filter((line) => line.level === level)
      .map((line) => `[${line.context}] ${line.message}`);
  }

  private add(level: string, message: unknown, context = ''): void {
    this.lines.push({ level, context, message: String(message) });
  }
}

describe('while the database is unreachable (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  /** The spec's own database refuses connections and loses those it had, until `restore()`. */
  async function cutOff(): Promise<{ restore(): Promise<void> }> {
    const name = new URL(db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [name]);
    let restored = false;
    return {
      async restore() {
        if (restored) return;
        restored = true;
        await admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS true`);
        await admin.end();
      },
    };
  }

  async function start(retry: Record<string, number> = {}) {
    const clock = new VirtualClock();
    const app = await createApp({
      url: db.url,
      providers: [SensorProcess],
      clock,
      options: { retry: { initialDelayMs: 20, maxDelayMs: 100, ...retry } },
    });
    const log = new CapturedLog();
    app.useLogger(['error', 'warn', 'log', 'debug']);
    app.useLogger(log);
    const unhandled: UnhandledExceptionInfo<unknown>[] = [];
    app.get<UnhandledExceptionBus<unknown>>(UnhandledExceptionBus).subscribe((info) => unhandled.push(info));
    /**
     * Waits for the end of the outage. A held delivery re-run just as the database came back may have
     * failed on its way while the failure itself got recorded: that is a durable retry, run here.
     */
    const settle = async () => {
      await waitFor(
        () => log.at('log').some((line) => line.includes('can be recorded again')),
        'the end of the outage',
      );
      for (let round = 0; round < 5; round++) {
        if ((await countRows(app, 'pm_dead_letter', `status = 'retrying'`)) === 0) return;
        clock.advance('10m');
        await app.get(TimerPoller).tickOnce();
        await app.get(ProcessRunner).whenIdle();
      }
    };
    return { app, log, unhandled, settle, bus: app.get(EventBus), processes: app.get(ProcessManagerService) };
  }

  const valuesOf = async (app: TestingModule, sensorIds: string[]) => {
    const rows = await query<{ key: string; values: number[] }>(
      app,
      `SELECT correlation_key AS key, state->'values' AS values FROM pm_process WHERE correlation_key = ANY($1)`,
      [sensorIds],
    );
    return new Map(rows.map((row) => [row.key, row.values]));
  };

  it('holds EventBus events it cannot deliver or record, applies each once when the database is back, and logs the outage once', async () => {
    const { app, log, bus, settle } = await start();
    const sensors = Array.from({ length: 10 }, () => uniqueKey('sensor'));
    const messageIds: string[] = [];
    const outage = await cutOff();
    try {
      for (const [index, sensorId] of sensors.entries()) {
        for (const value of [1, 2]) {
          const messageId = uniqueKey(`reading-${index}-${value}`);
          messageIds.push(messageId);
          bus.publish(withMessageId(new ReadingTaken(sensorId, value), messageId));
        }
      }
      await waitFor(
        () => log.at('debug').filter((line) => line.includes('Holding')).length === messageIds.length - 1,
        'every delivery held',
      );
    } finally {
      await outage.restore();
    }

    await settle();
    const values = await valuesOf(app, sensors);
    for (const sensorId of sensors) expect(values.get(sensorId)?.sort()).toEqual([1, 2]);

    const errors = log.at('error');
    expect(errors).toHaveLength(1);
    // The first line names the delivery (type, messageId, process and key), its own error and the database's.
    expect(errors[0]).toContain('[HeldDeliveries] The failures of deliveries cannot be recorded');
    const first = messageIds.findIndex((messageId) => errors[0]!.includes(`ReadingTaken ${messageId} `));
    expect(errors[0]).toContain(
      `ReadingTaken ${messageIds[first]} for "sensor" ${sensors[first >> 1]} failed (`,
    );
    expect(errors[0]).toMatch(/not currently accepting connections|terminat|ECONNREFUSED|Connection/);
    expect(log.at('log').filter((line) => line.includes('can be recorded again'))).toEqual([
      expect.stringMatching(/after \d+ s: 20 held deliveries re-ran\.$/),
    ]);
    // Not a retry per event: at most the delivery re-run just as the database came back.
    expect(log.at('warn').filter((line) => line.includes('will retry')).length).toBeLessThanOrEqual(1);
    expect(await query(app, `SELECT 1 FROM pm_dead_letter WHERE status = 'dead'`)).toEqual([]);
    // Applied once each: one history row per reading.
    const history = await query<{ message_id: string }>(
      app,
      `SELECT h.message_id FROM pm_history h JOIN pm_process p ON p.id = h.process_id
       WHERE p.correlation_key = ANY($1) ORDER BY h.message_id`,
      [sensors],
    );
    expect(history.map((row) => row.message_id)).toEqual([...messageIds].sort());
  });

  it('makes deliver() reject with the delivery, its error and the database error, and holds nothing', async () => {
    const { log, processes } = await start();
    const sensorId = uniqueKey('sensor');
    const messageId = uniqueKey('reading');
    const outage = await cutOff();
    let rejection: unknown;
    try {
      rejection = await processes
        .deliver(withMessageId(new ReadingTaken(sensorId, 7), messageId))
        .catch((e) => e);
    } finally {
      await outage.restore();
    }
    expect(rejection).toBeInstanceOf(DeliveryNotRecordedError);
    expect(rejection).toMatchObject({
      delivery: { handler: 'sensor', messageType: 'ReadingTaken', messageId, correlationKey: sensorId },
      message: expect.stringContaining(`ReadingTaken ${messageId} for "sensor" ${sensorId} failed (`),
    });
    expect(log.at('error').filter((line) => line.includes('HeldDeliveries'))).toEqual([]);

    // The sender delivers again once the database is back (a broker redelivers the unacked message).
    await waitFor(
      () =>
        processes.deliver(withMessageId(new ReadingTaken(sensorId, 7), messageId)).then(
          () => true,
          () => false,
        ),
      'a successful redelivery',
    );
    expect((await processes.find('sensor', sensorId))?.state).toEqual({ values: [7] });
  });

  it('past retry.pendingLimit drops each further delivery with a named, logged error', async () => {
    const { app, log, bus, unhandled, settle } = await start({ pendingLimit: 3 });
    const sensors = Array.from({ length: 5 }, () => uniqueKey('sensor'));
    const outage = await cutOff();
    try {
      for (const sensorId of sensors)
        bus.publish(withMessageId(new ReadingTaken(sensorId, 1), `${sensorId}-1`));
      await waitFor(() => unhandled.length === 2, 'two dropped deliveries');
    } finally {
      await outage.restore();
    }

    // Which ones come past the limit is up to the order their first attempts failed in.
    const droppedErrors = unhandled.map((info) => info.exception as PendingLimitReachedError);
    expect(droppedErrors).toEqual([
      expect.any(PendingLimitReachedError),
      expect.any(PendingLimitReachedError),
    ]);
    const droppedSensors = droppedErrors.map((error) => error.delivery.correlationKey!);
    const heldSensors = sensors.filter((sensorId) => !droppedSensors.includes(sensorId));
    await settle();
    const values = await valuesOf(app, sensors);
    expect([...values.keys()].sort()).toEqual(heldSensors.sort());
    expect(log.at('error').filter((line) => line.includes('is dropped'))).toEqual(
      droppedSensors.map((sensorId) =>
        expect.stringContaining(
          `ReadingTaken ${sensorId}-1 for "sensor" ${sensorId} is dropped: 3 failed deliveries are already held`,
        ),
      ),
    );
    await waitFor(
      () => log.at('log').some((line) => line.includes('can be recorded again')),
      'the end of the outage',
    );
    expect(log.at('log').find((line) => line.includes('can be recorded again'))).toMatch(
      /3 held deliveries re-ran, 2 dropped/,
    );
  });
  it('names each delivery still held when the app shuts down as lost', async () => {
    const { app, log, bus } = await start();
    const sensorIds = [uniqueKey('sensor'), uniqueKey('sensor')];
    const outage = await cutOff();
    try {
      for (const sensorId of sensorIds)
        bus.publish(withMessageId(new ReadingTaken(sensorId, 1), `${sensorId}-1`));
      await waitFor(() => log.at('debug').some((line) => line.includes('Holding')), 'both held');
      await app.get(ProcessRunner).beforeApplicationShutdown();
    } finally {
      await outage.restore();
    }
    const lost = log.at('error').filter((line) => line.includes('Shutdown: lost'));
    expect(lost).toHaveLength(2);
    for (const sensorId of sensorIds) {
      expect(lost).toContainEqual(
        expect.stringContaining(`ReadingTaken ${sensorId}-1 for "sensor" ${sensorId} failed (`),
      );
    }
  });
});
