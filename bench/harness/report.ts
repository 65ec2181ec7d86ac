import type { SplitCost } from '../workloads/rabbitmq.js';
import type { LevelFigures } from './level.js';
import type { EventCost } from './resources.js';
import type { StatementCost } from './sql-stats.js';
import type { BenchResults, TargetCheck } from './results.js';
import { thousands } from './results.js';
import { formatMiB, formatNumber, markdownTable } from './table.js';
import type { CounterLevel } from './workload.js';

/**
 * The Markdown report: machine, throughput/latency table, across services over RabbitMQ, the goals of
 * issue 12, other figures, per-event costs.
 */
export function renderReport(results: BenchResults): string {
  const { machine, config } = results;
  const levels = levelRows(results);
  const rabbitmq = rabbitMqRows(results);
  const costs = costRows(results);
  const others = otherRows(results);
  const statements = statementRows(results);
  return [
    `Measured ${results.generatedAt.slice(0, 16).replace('T', ' ')} UTC in ${Math.round(results.durationSec)} s · ` +
      `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB · Node ${machine.node} · ` +
      `PostgreSQL ${machine.postgres} (${machine.database}, fsync ${machine.fsync}, ` +
      `synchronous_commit ${machine.synchronousCommit}, shared_buffers ${machine.sharedBuffers}) · ` +
      `load average ${machine.loadAverage.start.toFixed(1)} → ${machine.loadAverage.end?.toFixed(1) ?? '?'}`,
    '',
    `Scale ${config.scale}: ${thousands(config.instances)} processes × ${config.eventsPerInstance} events per level ` +
      `(${Math.round(config.sequentialShare * 100)}% of that at 1 in flight), split over ${config.runs} runs after a warm-up; ` +
      `each figure is the median of the runs.` +
      (Object.keys(config.processManagerOptions).length > 0
        ? ` Library options: \`${JSON.stringify(config.processManagerOptions)}\`.`
        : ' Library options: defaults.'),
    '',
    ...section(
      markdownTable(
        ['Workload', 'In flight', 'Events/s', 'p50 ms', 'p99 ms', 'Lost updates', 'Library ÷ this'],
        levels,
        ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
      ),
      levels,
    ),
    ...(results.rabbitmq?.skipped
      ? [`Across services over RabbitMQ: skipped — ${results.rabbitmq.skipped}.`, '']
      : []),
    ...section(
      'Across services over RabbitMQ (driver → service A: step + outbox → broker → service B: command handler → driver):\n\n' +
        markdownTable(
          ['Workload', 'In flight', 'Events/s', 'p50 ms', 'p99 ms', 'Lost updates', 'Library ÷ this'],
          rabbitmq,
          ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
        ),
      rabbitmq,
    ),
    markdownTable(['Goal (issue 12)', 'Measured', 'Goal', 'Met'], results.targets.map(targetRow), [
      'left',
      'right',
      'right',
      'left',
    ]),
    '',
    ...section(markdownTable(['Other figures', 'Value'], others, ['left', 'right']), others),
    ...section(
      'Where the time goes (per event, measured runs; CPU of the embedded PostgreSQL read from /proc):\n\n' +
        markdownTable(
          ['Workload', 'In flight', 'Node CPU µs', 'PostgreSQL CPU µs', 'Round trips', 'Transactions'],
          costs,
          ['left', 'right', 'right', 'right', 'right', 'right'],
        ),
      costs,
    ),
    ...section(
      'Top statements by PostgreSQL execution time (BENCH_SQL_STATS=1, per event sent, warm-up included):\n\n' +
        markdownTable(['Workload', 'In flight', 'Statement', 'Calls', 'Exec µs', 'Plan µs'], statements, [
          'left',
          'right',
          'left',
          'right',
          'right',
          'right',
        ]),
      statements,
    ),
    ...results.notes.map((note) => `- ${note}`),
  ].join('\n');
}

/** A table and a blank line, or nothing when it has no rows. */
function section(text: string, rows: unknown[]): string[] {
  return rows.length > 0 ? [text, ''] : [];
}

const NAMES = {
  stateful: 'stateful (library)',
  stateless: 'stateless reactions (library)',
  naive: 'naive TypeORM',
  raw: 'raw SQL ceiling',
  rawBatched: 'raw SQL, group commit',
  rabbitmq: 'library, two services over RabbitMQ',
  rawAmqp: 'raw amqplib ceiling',
} as const;

function levelRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  for (const inFlight of results.config.inFlight) {
    const library = results.stateful.find((l) => l.inFlight === inFlight);
    for (const kind of ['stateful', 'stateless', 'naive', 'raw', 'rawBatched'] as const) {
      const level = results[kind].find((l) => l.inFlight === inFlight);
      const versus = kind === 'stateful' || kind === 'stateless' ? undefined : library;
      if (level) rows.push(levelRow(NAMES[kind], level, versus));
    }
  }
  const { stateful, naive } = results.bursty;
  if (stateful) rows.push(levelRow(`${NAMES.stateful}, bursty`, stateful));
  if (naive) rows.push(levelRow(`${NAMES.naive}, bursty`, naive, stateful ?? undefined));
  return rows;
}

function rabbitMqRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  for (const inFlight of results.config.rabbitmqInFlight) {
    const library = results.rabbitmq?.library.find((l) => l.inFlight === inFlight);
    const raw = results.rabbitmq?.raw.find((l) => l.inFlight === inFlight);
    if (library) rows.push(levelRow(NAMES.rabbitmq, library));
    if (raw) rows.push(levelRow(NAMES.rawAmqp, raw, library));
  }
  return rows;
}

function levelRow(
  name: string,
  level: LevelFigures & Partial<CounterLevel>,
  library?: LevelFigures,
): string[] {
  const lost =
    level.lostUpdates === undefined || level.lostUpdatePercent === undefined
      ? '—'
      : level.lostUpdates === 0
        ? '0'
        : `${formatNumber(level.lostUpdates)} (${formatNumber(level.lostUpdatePercent, 1)}%)`;
  return [
    name,
    String(level.inFlight),
    formatNumber(level.eventsPerSec),
    formatNumber(level.p50Ms, 1),
    formatNumber(level.p99Ms, 1),
    level.failed > 0 ? `${lost}, ${formatNumber(level.failed)} failed` : lost,
    library ? `${(library.eventsPerSec / level.eventsPerSec).toFixed(2)}×` : '',
  ];
}

function targetRow(target: TargetCheck): string[] {
  return [
    target.description,
    target.shown,
    target.goal,
    target.met === null ? 'n/a' : target.met ? 'met' : 'missed',
  ];
}

/** Figures without a goal: timers per instance count, in-memory, RSS, the RabbitMQ CPU split. */
function otherRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  const { timers, inMemory, rss, rabbitmq } = results;
  if (timers && !timers.available) rows.push(['timers', `n/a: ${timers.note}`]);
  if (timers?.oneInstance && timers.twoInstances) {
    const drains = timers.oneInstance.runs.length;
    const setup = `${thousands(timers.timers)} due in ${drains} drains, poll ${timers.pollIntervalMs} ms, batch ${timers.batchSize}`;
    rows.push([`timers fired/s, 1 instance (${setup})`, formatNumber(timers.oneInstance.timersPerSec)]);
    rows.push([`timers fired/s, 2 instances (${setup})`, formatNumber(timers.twoInstances.timersPerSec)]);
  }
  if (inMemory) {
    const { inFlight, store, plainCqrs } = inMemory;
    rows.push([`in-memory store events/s, ${inFlight} in flight`, formatNumber(store.eventsPerSec)]);
    rows.push([`plain @nestjs/cqrs events/s, ${inFlight} in flight`, formatNumber(plainCqrs.eventsPerSec)]);
    rows.push([
      'in-memory store ÷ plain @nestjs/cqrs',
      `${(store.eventsPerSec / plainCqrs.eventsPerSec).toFixed(2)}×`,
    ]);
  }
  if (rss) {
    rows.push([
      `RSS growth, ${results.config.rssCheckpoints.map(thousands).join(' → ')} completed processes`,
      `${rss.growthPercent.toFixed(1)}%`,
    ]);
  }
  for (const sample of rss?.samples ?? []) {
    rows.push([
      `RSS after ${thousands(sample.processes)} completed processes`,
      `${formatMiB(sample.rssBytes)} (heap ${formatMiB(sample.heapUsedBytes)})`,
    ]);
  }
  const split = (label: string, level: SplitCost & { inFlight: number }) => [
    `Node CPU µs per event, ${label}, ${level.inFlight} in flight`,
    `${formatNumber(level.nodeCpuUsPerEventByProcess.sender)} / ${formatNumber(level.nodeCpuUsPerEventByProcess.receiver)}`,
  ];
  for (const level of rabbitmq?.library ?? []) rows.push(split('service A / service B', level));
  for (const level of rabbitmq?.raw ?? []) rows.push(split('raw amqplib publisher / consumer', level));
  return rows;
}

function costRows(results: BenchResults): string[][] {
  const rows: [string, LevelFigures][] = [
    ...results.stateful.map((l): [string, LevelFigures] => [NAMES.stateful, l]),
    ...results.stateless.map((l): [string, LevelFigures] => [NAMES.stateless, l]),
    ...results.naive.map((l): [string, LevelFigures] => [NAMES.naive, l]),
    ...results.raw.map((l): [string, LevelFigures] => [NAMES.raw, l]),
    ...results.rawBatched.map((l): [string, LevelFigures] => [NAMES.rawBatched, l]),
    ...(results.rabbitmq?.library ?? []).map((l): [string, LevelFigures] => [`${NAMES.rabbitmq} (A + B)`, l]),
    ...(results.rabbitmq?.raw ?? []).map((l): [string, LevelFigures] => [
      `${NAMES.rawAmqp} (publisher + consumer)`,
      l,
    ]),
  ];
  if (results.inMemory) {
    rows.push(
      ['in-memory store', results.inMemory.store],
      ['plain @nestjs/cqrs', results.inMemory.plainCqrs],
    );
  }
  const cells = (name: string, inFlight: string, cost: EventCost) => [
    name,
    inFlight,
    formatNumber(cost.nodeCpuUsPerEvent),
    formatNumber(cost.postgresCpuUsPerEvent),
    formatNumber(cost.roundTripsPerEvent, 2),
    formatNumber(cost.transactionsPerEvent, 2),
  ];
  const timers = results.timers;
  return [
    ...rows.map(([name, level]) => cells(name, String(level.inFlight), level.cost)),
    ...(timers?.oneInstance ? [cells('timers (per timer), 1 instance', '—', timers.oneInstance.cost)] : []),
    ...(timers?.twoInstances
      ? [cells('timers (per timer), 2 instances', '—', timers.twoInstances.cost)]
      : []),
  ];
}

function statementRows(results: BenchResults): string[][] {
  const levels: [string, CounterLevel][] = [
    ...results.stateful.map((l): [string, CounterLevel] => [NAMES.stateful, l]),
    ...results.stateless.map((l): [string, CounterLevel] => [NAMES.stateless, l]),
    ...results.naive.map((l): [string, CounterLevel] => [NAMES.naive, l]),
    ...results.raw.map((l): [string, CounterLevel] => [NAMES.raw, l]),
    ...results.rawBatched.map((l): [string, CounterLevel] => [NAMES.rawBatched, l]),
  ];
  const all: [string, string, StatementCost[]][] = [
    ...levels.map(([name, level]): [string, string, StatementCost[]] => [
      name,
      String(level.inFlight),
      level.sqlStatements ?? [],
    ]),
    ['timers (per timer, all drains)', '—', results.timers?.sqlStatements ?? []],
  ];
  return all.flatMap(([name, inFlight, statements]) =>
    statements.map((statement) => [
      name,
      inFlight,
      `\`${statement.query.replaceAll('|', '\\|').replaceAll('`', "'")}\``,
      formatNumber(statement.callsPerEvent, 2),
      formatNumber(statement.execUsPerEvent),
      formatNumber(statement.planUsPerEvent),
    ]),
  );
}
