import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { COUNTER_PROCESS } from '../fixtures/counter.process.js';
import { Child } from '../harness/child.js';
import { type BenchDatabase, createDatabase } from '../harness/database.js';
import { type LevelFigures, type LevelPlan, measureLevel } from '../harness/level.js';
import { Probe } from '../harness/probe.js';
import { type ResourceSample, sampleResources } from '../harness/resources.js';
import { type CounterLevel, counterPlan, settleLevel, type WorkloadContext } from '../harness/workload.js';

/** The round trip across two services over RabbitMQ, beside the raw amqplib ceiling, per level. */
export interface RabbitMqFigures {
  /** The broker, password hidden. */
  broker: string;
  /** Why the workload did not run (broker unreachable), or null. */
  skipped: string | null;
  library: (CounterLevel & SplitCost)[];
  raw: (LevelFigures & SplitCost)[];
}

/** Node CPU per event of each child: the sender (service A, or the raw publisher) and the receiver. */
export interface SplitCost {
  nodeCpuUsPerEventByProcess: { sender: number; receiver: number };
}

const SERVICE = new URL('./rabbitmq-service.js', import.meta.url);
const RAW_PEER = new URL('./rabbitmq-raw-peer.js', import.meta.url);
const BOOT_TIMEOUT_MS = 60_000;
/** Exchanges and queues of this benchmark run carry this id, so parallel runs never share one. */
const runId = randomBytes(4).toString('hex');

/** Why the broker cannot be used (to skip the workload with a clear note), or undefined when it answers. */
export async function brokerProblem(url: string): Promise<string | undefined> {
  try {
    const connection = await amqp.connect(url, { timeout: 5_000 });
    await connection.close();
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `RabbitMQ at ${redactedUrl(url)} is not reachable (${reason}); start it or set RABBITMQ_URL`;
  }
}

export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * The library across two services: the driver hands each event to service A over IPC; A's counter
 * process manager commits its step and its outbox publishes the `Ack` command over RabbitMQ (confirmed,
 * persistent); service B consumes it and its `@CommandHandler` tells the driver, then B acks. Each
 * service is its own Node process with its own database. Latency: driver → A → broker → B → driver.
 */
export async function runRabbitMqRoundTrip(
  context: WorkloadContext,
  inFlight: number,
): Promise<CounterLevel & SplitCost> {
  const { config, server } = context;
  const names = brokerNames(`lib-${inFlight}`);
  const databases: BenchDatabase[] = [];
  try {
    const eventsDb = await createDatabase(server.url, `rabbitmq_a_${inFlight}`, config);
    databases.push(eventsDb);
    const commandsDb = await createDatabase(server.url, `rabbitmq_b_${inFlight}`, config);
    databases.push(commandsDb);
    const service = (role: 'events' | 'commands', database: BenchDatabase, poolMax: number) => ({
      BENCH_SERVICE: role,
      BENCH_DATABASE_URL: database.url,
      BENCH_POOL_MAX: String(poolMax),
      BENCH_PM_OPTIONS: JSON.stringify(config.processManagerOptions),
      BENCH_RABBITMQ_URL: config.rabbitmqUrl,
      BENCH_RABBITMQ_EXCHANGE: names.exchange,
      BENCH_RABBITMQ_QUEUE: role === 'commands' ? names.queue : `${names.queue}.unused`,
    });
    // B first: its queue must be bound before A publishes (a command nobody takes is returned).
    const figures = await measureAcross(
      context,
      inFlight,
      new Child(SERVICE, service('commands', commandsDb, 4)),
      () => new Child(SERVICE, service('events', eventsDb, inFlight)),
      names,
      [eventsDb.url, commandsDb.url],
    );
    const settled = await settleLevel(
      context,
      eventsDb.url,
      figures,
      `SELECT coalesce(sum((state->>'count')::int), 0)::int AS applied FROM pm_process WHERE type = $1`,
      [COUNTER_PROCESS],
    );
    return { ...settled, nodeCpuUsPerEventByProcess: figures.nodeCpuUsPerEventByProcess };
  } finally {
    for (const database of databases) await database.drop();
  }
}

/**
 * The ceiling: the same topology and message (body, properties, headers) with bare amqplib and no
 * database: a publisher process publishes each event persistent on a confirm channel, a consumer
 * process consumes with manual acks and tells the driver.
 */
export async function runRawAmqp(
  context: WorkloadContext,
  inFlight: number,
): Promise<LevelFigures & SplitCost> {
  const names = brokerNames(`raw-${inFlight}`);
  const peer = (role: 'publisher' | 'consumer') => ({
    BENCH_PEER: role,
    BENCH_RABBITMQ_URL: context.config.rabbitmqUrl,
    BENCH_RABBITMQ_EXCHANGE: names.exchange,
    BENCH_RABBITMQ_QUEUE: names.queue,
  });
  return measureAcross(
    context,
    inFlight,
    new Child(RAW_PEER, peer('consumer')),
    () => new Child(RAW_PEER, peer('publisher')),
    names,
    [],
  );
}

interface BrokerNames {
  exchange: string;
  queue: string;
}

function brokerNames(label: string): BrokerNames {
  const exchange = `pm-bench-${runId}-${label}`;
  return { exchange, queue: `${exchange}.commands` };
}

/**
 * One level through two child processes: `receiver` (started and ready first) reports `arrived` for
 * each event, `sender` takes `event` messages and may report `failed`. Node CPU and query counts are
 * the two children's; PostgreSQL CPU is the server's. Deletes the level's exchange and queue after.
 */
async function measureAcross(
  context: WorkloadContext,
  inFlight: number,
  receiver: Child,
  startSender: () => Child,
  names: BrokerNames,
  databaseUrls: readonly string[],
): Promise<LevelFigures & SplitCost> {
  const children = [receiver];
  // Each child's CPU at the level's first and last resource reading: [receiver, sender].
  const readings: number[][] = [];
  const probe = new Probe();
  probe.timeoutMs = context.config.eventTimeoutMs;
  try {
    await receiver.next('ready', BOOT_TIMEOUT_MS);
    const sender = startSender();
    children.push(sender);
    await sender.next('ready', BOOT_TIMEOUT_MS);
    receiver.on('arrived', (message) => probe.arrived(Number(message.n)));
    sender.on('failed', (message) => probe.failed(Number(message.n)));
    const plan: LevelPlan = {
      ...counterPlan(context, inFlight, 'uniform', databaseUrls),
      resources: async () => {
        const { sample, cpuUs } = await childrenResources(children, context.server.postmasterPid);
        readings.push(cpuUs);
        return sample;
      },
    };
    const figures = await measureLevel(plan, (event) => {
      const done = probe.wait(event.n);
      sender.send({ type: 'event', key: event.key, n: event.n, total: event.total });
      return done;
    });
    const [first, last] = [readings[0]!, readings.at(-1)!];
    const perEvent = (child: number) => (last[child]! - first[child]!) / Math.max(1, figures.events);
    return { ...figures, nodeCpuUsPerEventByProcess: { sender: perEvent(1), receiver: perEvent(0) } };
  } finally {
    probe.close();
    // The sender first: it stops publishing before the receiver stops consuming.
    for (const child of children.reverse()) await child.stop();
    await deleteBrokerObjects(context.config.rabbitmqUrl, names);
  }
}

/**
 * The children's Node CPU and query counters summed, with the PostgreSQL server's CPU read here; and
 * each child's CPU alone.
 */
async function childrenResources(
  children: Child[],
  postmasterPid: number | undefined,
): Promise<{ sample: ResourceSample; cpuUs: number[] }> {
  const answers = await Promise.all(children.map((child) => child.request('resources', 10_000)));
  const sum = (field: keyof ResourceSample) =>
    answers.reduce((total, answer) => total + Number(answer[field] ?? 0), 0);
  return {
    sample: {
      nodeCpuUs: sum('nodeCpuUs'),
      postgresCpuUs: sampleResources(postmasterPid).postgresCpuUs,
      roundTrips: sum('roundTrips'),
      transactions: sum('transactions'),
    },
    cpuUs: answers.map((answer) => Number(answer.nodeCpuUs)),
  };
}

async function deleteBrokerObjects(url: string, { exchange, queue }: BrokerNames): Promise<void> {
  const connection = await amqp.connect(url, { timeout: 5_000 });
  try {
    // One channel each: deleting what a failed level never declared closes the channel, not the run.
    for (const remove of [
      (channel: amqp.Channel) => channel.deleteQueue(queue),
      (channel: amqp.Channel) => channel.deleteExchange(exchange),
    ]) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await remove(channel).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  } finally {
    await connection.close();
  }
}
