import type { InMemoryFigures } from '../workloads/in-memory.js';
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
  naive: CounterLevel[];
  raw: CounterLevel[];
  /** Diagnostic, no target: the raw SQL with group commit (headroom for batching). */
  rawBatched: CounterLevel[];
  bursty: { stateful: CounterLevel | null; naive: CounterLevel | null };
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

/** Checks the targets of issue 6 against the figures. */
export function checkTargets(results: Figures): TargetCheck[] {
  const top = Math.max(...results.config.inFlight);
  const at = (levels: CounterLevel[], inFlight: number) => levels.find((l) => l.inFlight === inFlight);
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? a / b : null);
  const stateful = at(results.stateful, top);
  const lost = [...results.stateful, ...(results.bursty.stateful ? [results.bursty.stateful] : [])];
  const oneTimer = results.timers?.oneInstance?.timersPerSec;
  const twoTimers = results.timers?.twoInstances?.timersPerSec;
  const p99 = at(results.stateful, 16)?.p99Ms;
  return [
    ratioCheck(
      'stateful-vs-raw',
      `stateful ÷ raw SQL ceiling, ${top} in flight`,
      ratio(stateful?.eventsPerSec, at(results.raw, top)?.eventsPerSec),
      1.5,
    ),
    ratioCheck(
      'stateful-vs-naive',
      `stateful ÷ naive baseline, ${top} in flight`,
      ratio(stateful?.eventsPerSec, at(results.naive, top)?.eventsPerSec),
      10,
    ),
    {
      id: 'zero-lost-updates',
      description: 'stateful lost updates, every level and bursty',
      value: lost.length > 0 ? lost.reduce((sum, l) => sum + l.lostUpdates, 0) : null,
      shown: lost.length > 0 ? String(lost.reduce((sum, l) => sum + l.lostUpdates, 0)) : 'n/a',
      goal: '0',
      met: lost.length > 0 ? lost.every((l) => l.lostUpdates === 0) : null,
    },
    {
      id: 'p99-at-16',
      description: 'stateful p99 latency, 16 in flight',
      value: p99 ?? null,
      shown: p99 === undefined ? 'n/a' : `${p99.toFixed(1)} ms`,
      goal: '≤ 25 ms',
      met: p99 === undefined ? null : p99 <= 25,
    },
    {
      id: 'timers-one-instance',
      description: 'timers fired/s, one app instance',
      value: oneTimer ?? null,
      shown: oneTimer === undefined ? 'n/a' : `${Math.round(oneTimer).toLocaleString('en-US')}/s`,
      goal: '≥ 5,000/s',
      met: oneTimer === undefined ? null : oneTimer >= 5_000,
    },
    ratioCheck(
      'timers-two-instances',
      'timers fired/s, two instances ÷ one',
      ratio(twoTimers, oneTimer),
      1.6,
    ),
    ratioCheck(
      'in-memory-vs-cqrs',
      'in-memory store ÷ plain @nestjs/cqrs handler',
      ratio(results.inMemory?.store.eventsPerSec, results.inMemory?.plainCqrs.eventsPerSec),
      0.5,
    ),
    {
      id: 'rss-growth',
      description: `RSS growth, ${results.config.rssCheckpoints.map(thousands).join(' → ')} completed processes`,
      value: results.rss?.growthPercent ?? null,
      shown: results.rss ? `${results.rss.growthPercent.toFixed(1)}%` : 'n/a',
      goal: '< 10%',
      met: results.rss ? results.rss.growthPercent < 10 : null,
    },
  ];
}

function ratioCheck(id: string, description: string, value: number | null, goal: number): TargetCheck {
  return {
    id,
    description,
    value,
    shown: value === null ? 'n/a' : `${value.toFixed(2)}×`,
    goal: `≥ ${goal}×`,
    met: value === null ? null : value >= goal,
  };
}

export function thousands(count: number): string {
  return count >= 1_000 && count % 1_000 === 0 ? `${count / 1_000}k` : String(count);
}
