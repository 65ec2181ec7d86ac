// A child app instance of the durability specs: a Nest application context as a user would build it
// (CqrsModule, ScheduleModule, TypeORM with the library's migrations, ProcessManagerModule) running the
// ledger workload, fed through two intakes that both read tables the test fills:
//  - the app's own transactional Outbox: each batch of queued rows becomes intake rows (the business
//    change) and Outbox.send() in one TypeORM transaction, which also deletes the queued rows;
//  - a broker-style consumer: rows locked with FOR UPDATE SKIP LOCKED (an unacked delivery) are handed
//    to ProcessManagerService.deliver() and deleted (acked) only once it resolved; a crash rolls the
//    lock back, so the rows are delivered again, with the same messageIds.
// Talks to the test over IPC ('ready' out; 'stop' in) and exits when the test process goes away.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import {
  Outbox,
  PROCESS_MANAGER_MIGRATIONS,
  ProcessManagerModule,
  ProcessManagerService,
  withMetadata,
} from '../../../src/index.js';
import { Deposited, LEDGER_PROVIDERS } from './ledger.js';
import { BROKER_QUEUE, OUTBOX_INTAKE_QUEUE, type QueuedEvent } from './schema.js';

const NAME = process.env.CHILD_NAME ?? 'child';
const DATABASE_URL = process.env.DATABASE_URL;
const BATCH = Number(process.env.INTAKE_BATCH ?? 20);

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} [durability-child ${NAME}] ${message}\n`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function toEvent(row: QueuedEvent): Deposited {
  return withMetadata(new Deposited(row.account_id, row.amount, row.events_per_account), {
    messageId: row.event_id,
    occurredAt: new Date(),
  });
}

@Module({
  imports: [
    CqrsModule.forRoot(),
    ScheduleModule.forRoot(),
    TypeOrmModule.forRoot({
      type: 'postgres',
      driver: pg,
      url: DATABASE_URL,
      autoLoadEntities: true,
      migrations: PROCESS_MANAGER_MIGRATIONS,
      migrationsRun: true,
      extra: { max: 10 },
    }),
    ProcessManagerModule.forRoot({
      timers: { pollIntervalMs: 100 },
      outbox: { relayIntervalMs: 500 },
      // The command handlers write to the database too: their retries must outlast a restart of it
      // (~3 s), or a command would fail for good because of the test's own outage.
      retry: { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 5_000 },
    }),
  ],
  providers: LEDGER_PROVIDERS,
})
class ChildAppModule {}

/** Takes batches until stopped; logs the first failure of a streak (and every 50th), then the recovery. */
class IntakeLoop {
  taken = 0;
  private failures = 0;
  private stopped = false;
  private done: Promise<void> | undefined;

  constructor(
    private readonly label: string,
    private readonly takeBatch: () => Promise<number>,
  ) {}

  start(): void {
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let taken = 0;
      try {
        taken = await this.takeBatch();
        this.taken += taken;
        if (this.failures > 0) log(`${this.label}: recovered after ${this.failures} failed batches`);
        this.failures = 0;
      } catch (error) {
        if (this.failures++ % 50 === 0)
          log(`${this.label}: batch failed (${this.failures} in a row), retrying: ${errorText(error)}`);
      }
      if (taken === 0) await sleep(this.failures > 0 ? 200 : 50);
    }
  }
}

/** Intake (a): business change and Outbox.send() in one transaction. */
async function takeThroughOutbox(dataSource: DataSource, outbox: Outbox): Promise<number> {
  return dataSource.transaction(async (manager) => {
    const rows: QueuedEvent[] = await manager.query(
      `SELECT id, event_id, account_id, amount, events_per_account FROM ${OUTBOX_INTAKE_QUEUE}
       ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [BATCH],
    );
    if (rows.length === 0) return 0;
    const ids = rows.map((row) => row.id);
    await manager.query(
      `INSERT INTO intake (event_id, account_id, amount, instance)
       SELECT event_id, account_id, amount, $2 FROM ${OUTBOX_INTAKE_QUEUE} WHERE id = ANY($1::bigint[])`,
      [ids, NAME],
    );
    await outbox.send(manager, ...rows.map(toEvent));
    await manager.query(`DELETE FROM ${OUTBOX_INTAKE_QUEUE} WHERE id = ANY($1::bigint[])`, [ids]);
    return rows.length;
  });
}

/** Intake (b): a broker-style consumer that acks (deletes) a delivery only after deliver() resolved. */
async function takeFromBroker(pool: pg.Pool, processes: ProcessManagerService): Promise<number> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<QueuedEvent>(
      `SELECT id, event_id, account_id, amount, events_per_account FROM ${BROKER_QUEUE}
       ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [BATCH],
    );
    if (rows.length > 0) {
      await Promise.all(rows.map((row) => processes.deliver(toEvent(row))));
      await client.query(`DELETE FROM ${BROKER_QUEUE} WHERE id = ANY($1::bigint[])`, [
        rows.map((row) => row.id),
      ]);
    }
    await client.query('COMMIT');
    return rows.length;
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release(broken);
  }
}

async function main(): Promise<void> {
  process.on('disconnect', () => {
    log('the test process went away; exiting');
    process.exit(1);
  });
  process.on('exit', (code) => log(`exiting with code ${code}`));

  const app = await NestFactory.createApplicationContext(ChildAppModule, {
    logger: ['error', 'warn', 'log'],
    abortOnError: false,
  });
  await app.init();

  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
  pool.on('error', (error) => log(`broker consumer: idle connection failed: ${errorText(error)}`));
  // Every client of this pool keeps an error listener for its whole life (checked out, idle, being
  // handed over or ended), so that a connection the server terminates is never an uncaught 'error'
  // of the test's own code; the failing query reports it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const outboxIntake = new IntakeLoop('outbox intake', () =>
    takeThroughOutbox(app.get(DataSource), app.get(Outbox)),
  );
  const brokerIntake = new IntakeLoop('broker consumer', () =>
    takeFromBroker(pool, app.get(ProcessManagerService)),
  );
  outboxIntake.start();
  brokerIntake.start();
  const status = setInterval(
    () => log(`taken so far: outbox intake ${outboxIntake.taken}, broker consumer ${brokerIntake.taken}`),
    5_000,
  );
  log(`ready (pid ${process.pid})`);
  process.send?.({ type: 'ready', pid: process.pid });

  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'stop') return;
    log('stopping');
    clearInterval(status);
    void Promise.all([outboxIntake.stop(), brokerIntake.stop()])
      .then(() => app.close())
      .then(() => pool.end())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log(`stop failed: ${errorText(error)}`);
          process.exit(1);
        },
      );
  });
}

main().catch((error: unknown) => {
  log(`boot failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
