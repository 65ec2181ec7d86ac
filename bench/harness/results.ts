import type { InMemoryFigures } from '../workloads/in-memory.js';
import type { RabbitMqFigures } from '../workloads/rabbitmq.js';
import type { RssFigures } from '../workloads/rss.js';
import type { TimersFigures } from '../workloads/timers.js';
import type { BenchConfig } from './config.js';
import type { MachineInfo } from './machine.js';
import type { CounterLevel } from './workload.js';

/** Everything one `npm run bench` measured: the shape of bench/results/latest.json (see bench/README.md). */
export interface BenchResults {
  generatedAt: string;
  durationSec: number;
  machine: MachineInfo;
  config: BenchConfig;
  stateful: CounterLevel[];
  /** The library's durable stateless reactions (no process), same events and levels. */
  stateless: CounterLevel[];
  naive: CounterLevel[];
  raw: CounterLevel[];
  /** The raw SQL with group commit: the ceiling of batching, which issue 12's goals compare against. */
  rawBatched: CounterLevel[];
  bursty: { stateful: CounterLevel | null; naive: CounterLevel | null };
  /** The round trip across two services over RabbitMQ and its raw amqplib ceiling; null when not selected. */
  rabbitmq: RabbitMqFigures | null;
  timers: TimersFigures | null;
  inMemory: InMemoryFigures | null;
  rss: RssFigures | null;
  targets: TargetCheck[];
  /** Wall-clock seconds per workload step. */
  timings: Record<string, number>;
  /** Workloads that failed or were skipped, and why. */
  notes: string[];
}

export interface TargetCheck {
  id: string;
  description: string;
  /** The measured ratio or value; null when a figure is missing. */
  value: number | null;
  /** How `value` is printed, e.g. "0.85×" or "23.1 ms". */
  shown: string;
  goal: string;
  met: boolean | null;
}

type Figures = Omit<BenchResults, 'targets' | 'generatedAt' | 'durationSec' | 'timings' | 'notes'>;

/**
 * The goals of issue 12, each a ratio (or value) of two figures of this same run: library (stateful)
 * against the naive baseline and the raw SQL ceilings, CPU per event, p99, timers, lost updates.
 */
export function checkTargets(results: Figures): TargetCheck[] {
  const at = (levels: CounterLevel[], inFlight: number) => levels.find((l) => l.inFlight === inFlight);
  const ratio = (a?: number | null, b?: number | null) => (a !== undefined && a !== null && b ? a / b : null);
  const library = (inFlight: number) => at(results.stateful, inFlight);
  const lost = [
    ...results.stateful,
    ...results.stateless,
    ...(results.bursty.stateful ? [results.bursty.stateful] : []),
    ...(results.rabbitmq?.library ?? []),
  ];
  const lostTotal = lost.reduce((sum, l) => sum + l.lostUpdates, 0);
  const { timers } = results;
  const oneTimer = timers?.oneInstance?.timersPerSec;
  const twoTimers = timers?.twoInstances?.timersPerSec;
  const twoVsOne = ratio(twoTimers, oneTimer);
  const p99 = library(16)?.p99Ms;
  return [
    atLeast(
      'library-vs-naive-1',
      'library ÷ naive, 1 in flight',
      ratio(library(1)?.eventsPerSec, at(results.naive, 1)?.eventsPerSec),
      1.2,
    ),
    atLeast(
      'library-vs-raw-1',
      'library ÷ raw one-tx-per-event, 1 in flight',
      ratio(library(1)?.eventsPerSec, at(results.raw, 1)?.eventsPerSec),
      0.6,
    ),
    atMost(
      'postgres-cpu-vs-raw-1',
      'PostgreSQL CPU per event, library ÷ raw, 1 in flight',
      ratio(library(1)?.cost.postgresCpuUsPerEvent, at(results.raw, 1)?.cost.postgresCpuUsPerEvent),
      1.3,
    ),
    atLeast(
      'library-vs-raw-64',
      'library ÷ raw one-tx-per-event, 64 in flight',
      ratio(library(64)?.eventsPerSec, at(results.raw, 64)?.eventsPerSec),
      1.5,
    ),
    atLeast(
      'library-vs-raw-batched-64',
      'library ÷ raw group commit, 64 in flight',
      ratio(library(64)?.eventsPerSec, at(results.rawBatched, 64)?.eventsPerSec),
      0.6,
    ),
    atLeast(
      'library-vs-naive-64',
      'library ÷ naive, 64 in flight',
      ratio(library(64)?.eventsPerSec, at(results.naive, 64)?.eventsPerSec),
      5,
    ),
    atMost(
      'node-cpu-vs-raw-64',
      'Node CPU per event, library ÷ raw, 64 in flight',
      ratio(library(64)?.cost.nodeCpuUsPerEvent, at(results.raw, 64)?.cost.nodeCpuUsPerEvent),
      1.0,
    ),
    {
      id: 'p99-at-16',
      description: 'p99 latency, 16 in flight',
      value: p99 ?? null,
      shown: p99 === undefined ? 'n/a' : `${p99.toFixed(1)} ms`,
      goal: '≤ 25 ms',
      met: p99 === undefined ? null : p99 <= 25,
    },
    atLeast(
      'timers-vs-raw-batched-64',
      'timers/s on one instance ÷ raw group commit events/s, 64 in flight',
      ratio(oneTimer, at(results.rawBatched, 64)?.eventsPerSec),
      0.5,
    ),
    {
      id: 'timers-two-vs-one',
      description: 'timers/s, two instances ÷ one',
      value: twoVsOne,
      shown: twoVsOne === null ? 'n/a' : `${twoVsOne.toFixed(2)}× (${timers!.firedTwice} fired twice)`,
      goal: '≥ 1.0× (and 0 fired twice)',
      met: twoVsOne === null ? null : twoVsOne >= 1 && timers!.firedTwice === 0,
    },
    {
      id: 'zero-lost-updates',
      description: 'lost updates, every level, bursty and across services',
      value: lost.length > 0 ? lostTotal : null,
      shown: lost.length > 0 ? String(lostTotal) : 'n/a',
      goal: '0',
      met: lost.length > 0 ? lostTotal === 0 : null,
    },
  ];
}

function atLeast(id: string, description: string, value: number | null, goal: number): TargetCheck {
  return ratioCheck(id, description, value, `≥ ${goal.toFixed(1)}×`, value === null ? null : value >= goal);
}

function atMost(id: string, description: string, value: number | null, goal: number): TargetCheck {
  return ratioCheck(id, description, value, `≤ ${goal.toFixed(1)}×`, value === null ? null : value <= goal);
}

function ratioCheck(
  id: string,
  description: string,
  value: number | null,
  goal: string,
  met: boolean | null,
): TargetCheck {
  return { id, description, value, shown: value === null ? 'n/a' : `${value.toFixed(2)}×`, goal, met };
}

export function thousands(count: number): string {
  return count >= 1_000 && count % 1_000 === 0 ? `${count / 1_000}k` : String(count);
}
