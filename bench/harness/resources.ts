import { execSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

/** Cumulative counters sampled around a measured run. */
export interface ResourceSample {
  nodeCpuUs: number;
  /** CPU of the embedded PostgreSQL (postmaster + backends, reaped ones included); undefined when external. */
  postgresCpuUs: number | undefined;
  roundTrips: number;
  transactions: number;
}

/** Per-event cost between two samples. */
export interface EventCost {
  nodeCpuUsPerEvent: number;
  postgresCpuUsPerEvent: number | null;
  roundTripsPerEvent: number;
  transactionsPerEvent: number;
}

const counters = { roundTrips: 0, transactions: 0 };
const inTransaction = new WeakSet<object>();
let installed = false;

/**
 * Counts queries (round trips) and transactions on every pg client of this process, TypeORM's and the
 * library's included (they share this `pg` module). A statement outside BEGIN … COMMIT is one transaction.
 */
export function installQueryCounter(): void {
  if (installed) return;
  installed = true;
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: object, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
    const verb = (text ?? '').trimStart().slice(0, 17).toUpperCase();
    counters.roundTrips++;
    if (verb.startsWith('BEGIN') || verb.startsWith('START TRANSACTION')) inTransaction.add(this);
    else if (verb.startsWith('COMMIT') || verb.startsWith('ROLLBACK')) {
      inTransaction.delete(this);
      counters.transactions++;
    } else if (!inTransaction.has(this)) counters.transactions++;
    return original.apply(this, args);
  };
}

export function sampleResources(postmasterPid: number | undefined): ResourceSample {
  const cpu = process.cpuUsage();
  return {
    nodeCpuUs: cpu.user + cpu.system,
    postgresCpuUs: postmasterPid === undefined ? undefined : postgresCpuUs(postmasterPid),
    roundTrips: counters.roundTrips,
    transactions: counters.transactions,
  };
}

export function costPerEvent(before: ResourceSample, after: ResourceSample, events: number): EventCost {
  const per = (a: number, b: number) => (b - a) / Math.max(1, events);
  return {
    nodeCpuUsPerEvent: per(before.nodeCpuUs, after.nodeCpuUs),
    postgresCpuUsPerEvent:
      before.postgresCpuUs === undefined || after.postgresCpuUs === undefined
        ? null
        : per(before.postgresCpuUs, after.postgresCpuUs),
    roundTripsPerEvent: per(before.roundTrips, after.roundTrips),
    transactionsPerEvent: per(before.transactions, after.transactions),
  };
}

let tickUs: number | undefined;

function clockTickUs(): number {
  if (tickUs === undefined) {
    let hertz = 100;
    try {
      hertz = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
    } catch {
      // non-Linux: keep the usual 100 Hz
    }
    tickUs = 1_000_000 / hertz;
  }
  return tickUs;
}

/** Linux only: the postmaster's own and reaped children's CPU, plus every live backend's. */
function postgresCpuUs(postmasterPid: number): number | undefined {
  const own = readStat(String(postmasterPid));
  if (!own) return undefined;
  let ticks = own.utime + own.stime + own.cutime + own.cstime;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat?.ppid === postmasterPid) ticks += stat.utime + stat.stime;
  }
  return ticks * clockTickUs();
}

function readStat(pid: string) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const at = (index: number) => Number(fields[index]);
    return { ppid: at(1), utime: at(11), stime: at(12), cutime: at(13), cstime: at(14) };
  } catch {
    return undefined;
  }
}
