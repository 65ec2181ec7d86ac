import type { LevelFigures } from './level.js';
import type { EventCost } from './resources.js';
import type { StatementCost } from './sql-stats.js';
import type { BenchResults, TargetCheck } from './results.js';
import { thousands } from './results.js';
import { formatMiB, formatNumber, markdownTable } from './table.js';
import type { CounterLevel } from './workload.js';

/** The Markdown report: machine, throughput/latency table, targets, other figures, per-event costs. */
export function renderReport(results: BenchResults): string {
  const { machine, config } = results;
  const levels = levelRows(results);
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
    markdownTable(['Target (issue 6)', 'Measured', 'Goal', 'Met'], results.targets.map(targetRow), [
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
  naive: 'naive TypeORM',
  raw: 'raw SQL ceiling',
  rawBatched: 'raw SQL, group commit',
} as const;

function levelRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  for (const inFlight of results.config.inFlight) {
    const library = results.stateful.find((l) => l.inFlight === inFlight);
    for (const kind of ['stateful', 'naive', 'raw', 'rawBatched'] as const) {
      const level = results[kind].find((l) => l.inFlight === inFlight);
      if (level) rows.push(levelRow(NAMES[kind], level, kind === 'stateful' ? undefined : library));
    }
  }
  const { stateful, naive } = results.bursty;
  if (stateful) rows.push(levelRow(`${NAMES.stateful}, bursty`, stateful));
  if (naive) rows.push(levelRow(`${NAMES.naive}, bursty`, naive, stateful ?? undefined));
  return rows;
}

function levelRow(name: string, level: CounterLevel, library?: CounterLevel): string[] {
  const lost =
    level.lostUpdates === 0
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

function otherRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  const { timers, inMemory, rss } = results;
  if (timers && !timers.available) rows.push(['timers', `n/a: ${timers.note}`]);
  if (timers?.oneInstance && timers.twoInstances) {
    const drains = timers.oneInstance.runs.length;
    const setup = `${thousands(timers.timers)} due in ${drains} drains, poll ${timers.pollIntervalMs} ms, batch ${timers.batchSize}`;
    rows.push([`timers fired/s, 1 instance (${setup})`, formatNumber(timers.oneInstance.timersPerSec)]);
    rows.push([`timers fired/s, 2 instances (${setup})`, formatNumber(timers.twoInstances.timersPerSec)]);
  }
  if (inMemory) {
    rows.push([
      `in-memory store events/s, ${inMemory.inFlight} in flight`,
      formatNumber(inMemory.store.eventsPerSec),
    ]);
    rows.push([
      `plain @nestjs/cqrs events/s, ${inMemory.inFlight} in flight`,
      formatNumber(inMemory.plainCqrs.eventsPerSec),
    ]);
  }
  for (const sample of rss?.samples ?? []) {
    rows.push([
      `RSS after ${thousands(sample.processes)} completed processes`,
      `${formatMiB(sample.rssBytes)} (heap ${formatMiB(sample.heapUsedBytes)})`,
    ]);
  }
  return rows;
}

function costRows(results: BenchResults): string[][] {
  const rows: [string, LevelFigures][] = [
    ...results.stateful.map((l): [string, LevelFigures] => [NAMES.stateful, l]),
    ...results.naive.map((l): [string, LevelFigures] => [NAMES.naive, l]),
    ...results.raw.map((l): [string, LevelFigures] => [NAMES.raw, l]),
    ...results.rawBatched.map((l): [string, LevelFigures] => [NAMES.rawBatched, l]),
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
