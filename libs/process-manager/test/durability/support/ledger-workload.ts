import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { REACTION_HANDLER } from '../child/ledger.js';
import { BROKER_QUEUE, DURABILITY_SCHEMA, OUTBOX_INTAKE_QUEUE } from '../child/schema.js';

/** application_name of the test's own connections, so that terminating "the app's" backends spares them. */
export const TEST_APPLICATION_NAME = 'durability-test';

export type Intake = 'outbox' | 'broker';

export interface PlannedEvent {
  eventId: string;
  accountId: string;
  amount: number;
  intake: Intake;
}

export interface Workload {
  seed: number;
  eventsPerAccount: number;
  accounts: string[];
  /** In feeding order (accounts interleaved). */
  events: PlannedEvent[];
  expectedBalance: Map<string, number>;
}

/** A small seeded PRNG (mulberry32), so that a failing run can be repeated with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: DURABILITY_SEED when set (to repeat a run), else a random one. */
export function runSeed(): number {
  const fromEnv = Number(process.env.DURABILITY_SEED);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : Math.floor(Math.random() * 2 ** 31) + 1;
}

/** `accounts` × `eventsPerAccount` deposits, each through a random intake (about half each). */
export function planWorkload(options: {
  accounts: number;
  eventsPerAccount: number;
  seed: number;
}): Workload {
  const random = seededRandom(options.seed);
  const accounts = Array.from({ length: options.accounts }, (_, i) => `acct-${String(i).padStart(4, '0')}`);
  const events: PlannedEvent[] = [];
  const expectedBalance = new Map<string, number>();
  for (const accountId of accounts) {
    let balance = 0;
    for (let n = 0; n < options.eventsPerAccount; n++) {
      const amount = 1 + Math.floor(random() * 100);
      balance += amount;
      events.push({ eventId: randomUUID(), accountId, amount, intake: random() < 0.5 ? 'outbox' : 'broker' });
    }
    expectedBalance.set(accountId, balance);
  }
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  return {
    seed: options.seed,
    eventsPerAccount: options.eventsPerAccount,
    accounts,
    events,
    expectedBalance,
  };
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: TEST_APPLICATION_NAME });
  client.on('error', () => undefined); // e.g. the server stopped by the test; the query fails too
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function createLedgerTables(url: string): Promise<void> {
  await withClient(url, async (client) => {
    for (const statement of DURABILITY_SCHEMA) await client.query(statement);
  });
}

/**
 * Queues the workload's events at a steady pace over about `durationMs`; resolves when all are queued.
 * `exclusive` runs each chunk's inserts, so the test can hold the feed back (e.g. while it restarts the
 * database): the producers of a real system are outside it, and a queue insert whose outcome is unknown
 * would blur the figures.
 * `signal` stops it early (a test that failed half-way must not leave it running).
 */
export async function feed(
  url: string,
  workload: Workload,
  durationMs: number,
  options: { exclusive?: (work: () => Promise<void>) => Promise<void>; signal?: AbortSignal } = {},
): Promise<void> {
  const tickMs = 100;
  const perTick = Math.max(1, Math.ceil(workload.events.length / Math.max(1, durationMs / tickMs)));
  const pool = new pg.Pool({ connectionString: url, application_name: TEST_APPLICATION_NAME, max: 1 });
  pool.on('error', () => undefined); // an idle connection the server closed; the next query reconnects
  try {
    const exclusive = options.exclusive ?? ((work) => work());
    for (let start = 0; start < workload.events.length; start += perTick) {
      if (options.signal?.aborted) return;
      const began = Date.now();
      const chunk = workload.events.slice(start, start + perTick);
      await exclusive(async () => {
        for (const [intake, table] of [
          ['outbox', OUTBOX_INTAKE_QUEUE],
          ['broker', BROKER_QUEUE],
        ] as const) {
          const rows = chunk.filter((event) => event.intake === intake);
          if (rows.length === 0) continue;
          await pool.query(
            `INSERT INTO ${table} (event_id, account_id, amount, events_per_account)
             SELECT unnest($1::text[]), unnest($2::text[]), unnest($3::int[]), $4`,
            [
              rows.map((event) => event.eventId),
              rows.map((event) => event.accountId),
              rows.map((event) => event.amount),
              workload.eventsPerAccount,
            ],
          );
        }
      });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, tickMs - (Date.now() - began))));
    }
  } finally {
    await pool.end();
  }
}

/** Rows waiting in the two intake queues (how far behind the apps are). */
export async function backlog(url: string): Promise<Record<Intake, number>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ outbox: string; broker: string }>(
      `SELECT (SELECT count(*) FROM ${OUTBOX_INTAKE_QUEUE}) AS outbox, (SELECT count(*) FROM ${BROKER_QUEUE}) AS broker`,
    );
    return { outbox: Number(rows[0]!.outbox), broker: Number(rows[0]!.broker) };
  });
}

type CommandKind = 'effect' | 'notice' | 'timer';
const KINDS: CommandKind[] = ['effect', 'notice', 'timer'];
type PerKind = Record<CommandKind, number>;
const perKind = (value: (kind: CommandKind) => number): PerKind =>
  Object.fromEntries(KINDS.map((kind) => [kind, value(kind)])) as PerKind;

/** What the database says about the workload (see `violations()` for what must be zero). */
export interface Figures {
  events: number;
  accounts: number;
  /** Events still waiting in an intake's queue (never taken, or never acked). */
  queued: Record<Intake, number>;
  /** Events taken in (acked, or committed with the intake row) whose effect was never applied. */
  lost: Record<Intake, number>;
  /** Events whose effect (a handled ledger step) was applied more than once. */
  appliedTwice: number;
  /** Accounts whose state is not the sum of their events (or whose deposit count is not N). */
  wrongBalances: number;
  /** Handled deposit steps in the ledgers' histories (= events when nothing lost or doubled). */
  historyDeposits: number;
  /** Commands that were never handled (no `effects` row): one effect and one notice per event, one timer per account. */
  commandsMissing: PerKind;
  /** Command handler runs beyond the first, per command messageId (at-least-once duplicates). */
  commandDuplicates: PerKind;
  timers: { notFired: number; firedTwice: number; left: number };
  /** Events the stateless reaction never took (no inbox mark). */
  reactionsMissing: number;
  processes: { missing: number; notCompleted: number; byStatus: Record<string, number> };
  outbox: { rows: number; undispatched: number; failed: number };
  deadLetters: { dead: number; retrying: number };
  /** Intake rows written more than once for an event (the Outbox intake's own transaction). */
  intakeDuplicates: number;
}

export async function collectFigures(url: string, workload: Workload): Promise<Figures> {
  return withClient(url, async (client) => {
    const rows = async <T>(sql: string, params: unknown[] = []) =>
      (await client.query(sql, params)).rows as T[];
    const queuedIds = new Map<Intake, Set<string>>();
    for (const [intake, table] of [
      ['outbox', OUTBOX_INTAKE_QUEUE],
      ['broker', BROKER_QUEUE],
    ] as const) {
      queuedIds.set(
        intake,
        new Set(
          (await rows<{ event_id: string }>(`SELECT event_id FROM ${table}`)).map((row) => row.event_id),
        ),
      );
    }
    const inbox = await rows<{ handler: string; message_id: string }>(
      `SELECT handler, message_id FROM pm_inbox WHERE handler = ANY($1)`,
      [['ledger', REACTION_HANDLER]],
    );
    const applied = new Set(inbox.filter((row) => row.handler === 'ledger').map((row) => row.message_id));
    const reacted = new Set(
      inbox.filter((row) => row.handler === REACTION_HANDLER).map((row) => row.message_id),
    );
    const processes = await rows<{
      correlation_key: string;
      status: string;
      state: { balance: number; deposits: number };
    }>(`SELECT correlation_key, status, state FROM pm_process WHERE type = 'ledger'`);
    const history = await rows<{ correlation_key: string; message_type: string; message_id: string }>(
      `SELECT p.correlation_key, h.message_type, h.message_id FROM pm_history h
       JOIN pm_process p ON p.id = h.process_id
       WHERE p.type = 'ledger' AND h.outcome = 'handled'`,
    );
    const effects = await rows<{
      kind: CommandKind;
      command_id: string | null;
      event_id: string;
      account_id: string;
    }>(`SELECT kind, command_id, event_id, account_id FROM effects`);
    const [outbox] = await rows<{ rows: string; undispatched: string; failed: string }>(
      `SELECT count(*) AS rows, count(*) FILTER (WHERE dispatched_at IS NULL) AS undispatched,
              count(*) FILTER (WHERE failed_at IS NOT NULL) AS failed FROM pm_outbox`,
    );
    const deadLetters = await rows<{ status: string; count: string }>(
      `SELECT status, count(*) AS count FROM pm_dead_letter GROUP BY status`,
    );
    const [timersLeft] = await rows<{ count: string }>(`SELECT count(*) AS count FROM pm_timer`);
    const intake = await rows<{ event_id: string; count: string }>(
      `SELECT event_id, count(*) AS count FROM intake GROUP BY event_id`,
    );

    const deposits = new Map<string, number>();
    const closes = new Map<string, number>();
    for (const row of history) {
      if (row.message_type === 'durability.Deposited')
        deposits.set(row.message_id, (deposits.get(row.message_id) ?? 0) + 1);
      if (row.message_type === 'durability.CloseAccount')
        closes.set(row.correlation_key, (closes.get(row.correlation_key) ?? 0) + 1);
    }
    const handled = (kind: CommandKind) => effects.filter((row) => row.kind === kind);
    const handledKeys = (kind: CommandKind) =>
      new Set(handled(kind).map((row) => (kind === 'timer' ? row.account_id : row.event_id)));
    const byAccount = new Map(processes.map((row) => [row.correlation_key, row]));
    const instancesPerAccount = new Map<string, number>();
    processes.forEach((row) =>
      instancesPerAccount.set(row.correlation_key, (instancesPerAccount.get(row.correlation_key) ?? 0) + 1),
    );
    const byStatus: Record<string, number> = {};
    processes.forEach((row) => (byStatus[row.status] = (byStatus[row.status] ?? 0) + 1));
    const lostVia = (via: Intake) =>
      workload.events.filter(
        (event) =>
          event.intake === via && !applied.has(event.eventId) && !queuedIds.get(via)!.has(event.eventId),
      ).length;
    const deadLetter = (status: string) =>
      Number(deadLetters.find((row) => row.status === status)?.count ?? 0);

    return {
      events: workload.events.length,
      accounts: workload.accounts.length,
      queued: { outbox: queuedIds.get('outbox')!.size, broker: queuedIds.get('broker')!.size },
      lost: { outbox: lostVia('outbox'), broker: lostVia('broker') },
      appliedTwice: [...deposits.values()].filter((count) => count > 1).length,
      wrongBalances: workload.accounts.filter((accountId) => {
        const state = byAccount.get(accountId)?.state;
        return (
          instancesPerAccount.get(accountId) !== 1 ||
          state?.balance !== workload.expectedBalance.get(accountId) ||
          state?.deposits !== workload.eventsPerAccount
        );
      }).length,
      historyDeposits: [...deposits.values()].reduce((sum, count) => sum + count, 0),
      commandsMissing: perKind((kind) => {
        const keys = handledKeys(kind);
        const expected = kind === 'timer' ? workload.accounts : workload.events.map((event) => event.eventId);
        return expected.filter((key) => !keys.has(key)).length;
      }),
      commandDuplicates: perKind((kind) => {
        const rowsOfKind = handled(kind);
        return rowsOfKind.length - new Set(rowsOfKind.map((row) => row.command_id)).size;
      }),
      timers: {
        notFired: workload.accounts.filter((accountId) => (closes.get(accountId) ?? 0) === 0).length,
        firedTwice: workload.accounts.filter((accountId) => (closes.get(accountId) ?? 0) > 1).length,
        left: Number(timersLeft!.count),
      },
      reactionsMissing: workload.events.filter((event) => !reacted.has(event.eventId)).length,
      processes: {
        missing: workload.accounts.filter((accountId) => !byAccount.has(accountId)).length,
        notCompleted: processes.filter((row) => row.status !== 'completed').length,
        byStatus,
      },
      outbox: {
        rows: Number(outbox!.rows),
        undispatched: Number(outbox!.undispatched),
        failed: Number(outbox!.failed),
      },
      deadLetters: { dead: deadLetter('dead'), retrying: deadLetter('retrying') },
      intakeDuplicates: intake.filter((row) => Number(row.count) > 1).length,
    };
  });
}

/** The figures that must all be zero once the system settled (everything else is reported). */
export function violations(figures: Figures) {
  return {
    queued: figures.queued,
    lost: figures.lost,
    appliedTwice: figures.appliedTwice,
    wrongBalances: figures.wrongBalances,
    commandsMissing: figures.commandsMissing,
    timers: figures.timers,
    reactionsMissing: figures.reactionsMissing,
    processes: { missing: figures.processes.missing, notCompleted: figures.processes.notCompleted },
    outbox: { undispatched: figures.outbox.undispatched, failed: figures.outbox.failed },
    deadLetters: figures.deadLetters,
    intakeDuplicates: figures.intakeDuplicates,
  };
}

export const NO_VIOLATIONS: ReturnType<typeof violations> = {
  queued: { outbox: 0, broker: 0 },
  lost: { outbox: 0, broker: 0 },
  appliedTwice: 0,
  wrongBalances: 0,
  commandsMissing: { effect: 0, notice: 0, timer: 0 },
  timers: { notFired: 0, firedTwice: 0, left: 0 },
  reactionsMissing: 0,
  processes: { missing: 0, notCompleted: 0 },
  outbox: { undispatched: 0, failed: 0 },
  deadLetters: { dead: 0, retrying: 0 },
  intakeDuplicates: 0,
};

export function isSettled(figures: Figures): boolean {
  return JSON.stringify(violations(figures)) === JSON.stringify(NO_VIOLATIONS);
}

export interface Settling {
  figures: Figures;
  settled: boolean;
  /** From the start of the wait. */
  waitedMs: number;
}

/**
 * Polls the figures until everything settled or `timeoutMs` passed, and returns the last figures
 * either way (the caller asserts on them, so a failure shows the numbers). Read errors (the database
 * restarting) count as "not yet". `giveUp` ends the wait early (e.g. an app crashed: nothing will move).
 */
export async function waitUntilSettled(
  url: string,
  workload: Workload,
  timeoutMs: number,
  giveUp: () => boolean = () => false,
): Promise<Settling> {
  const began = Date.now();
  let figures: Figures | undefined;
  let lastError: unknown;
  while (Date.now() - began < timeoutMs && !giveUp()) {
    try {
      figures = await collectFigures(url, workload);
      if (isSettled(figures)) return { figures, settled: true, waitedMs: Date.now() - began };
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  figures = await collectFigures(url, workload).catch((error: unknown) => {
    throw new Error(
      `Could not read the figures after ${Date.now() - began} ms: ${String(error)} (before: ${String(lastError)})`,
    );
  });
  return { figures, settled: isSettled(figures), waitedMs: Date.now() - began };
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);

/** Prints the figures so that they show in the CI log, whatever the assertions say. */
export function printFigures(title: string, settling: Settling, extra: Record<string, unknown> = {}): void {
  const f = settling.figures;
  const lines = [
    `[durability] ${title}`,
    `  ${Object.entries(extra)
      .map(([key, value]) => `${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
      .join(' · ')}`,
    `  events ${f.events} over ${f.accounts} accounts · ${
      settling.settled ? 'settled' : 'NOT settled'
    } after ${(settling.waitedMs / 1000).toFixed(1)} s`,
    `  lost ${total(f.lost)} (outbox ${f.lost.outbox}, broker ${f.lost.broker}) · applied twice ${f.appliedTwice} · ` +
      `wrong balances ${f.wrongBalances} · history deposits ${f.historyDeposits} · still queued outbox ${f.queued.outbox}, broker ${f.queued.broker}`,
    `  commands never handled ${JSON.stringify(f.commandsMissing)} · duplicate commands ${total(
      f.commandDuplicates,
    )} ${JSON.stringify(f.commandDuplicates)}`,
    `  timers not fired ${f.timers.notFired}, fired twice ${f.timers.firedTwice}, rows left ${f.timers.left} · ` +
      `reactions missing ${f.reactionsMissing}`,
    `  processes ${JSON.stringify(f.processes.byStatus)} (missing ${f.processes.missing}, not completed ${f.processes.notCompleted})`,
    `  outbox rows ${f.outbox.rows}, undispatched ${f.outbox.undispatched}, failed ${f.outbox.failed} · ` +
      `dead letters ${f.deadLetters.dead} dead, ${f.deadLetters.retrying} retrying · intake duplicates ${f.intakeDuplicates}`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
}

export function totalDuplicates(figures: Figures): number {
  return total(figures.commandDuplicates);
}
