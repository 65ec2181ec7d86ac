import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  InvalidArgumentError,
  InvalidCursorError,
  OnEvent,
  type ProcessContext,
  ProcessManager,
  ProcessManagerService,
} from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { FailureStore } from '../../src/ports/failure-store.js';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { STORES, uniqueKey } from '../support/messages.js';

class LedgerOpened {
  constructor(readonly ledgerId: string) {}
}
class LedgerPosted {
  constructor(
    readonly ledgerId: string,
    readonly amount: number,
  ) {}
}
class LedgerClosed {
  constructor(readonly ledgerId: string) {}
}

@ProcessManager({ name: 'ledger', correlationKey: 'ledgerId', initialState: () => ({ posted: 0 }) })
class LedgerProcess {
  @OnEvent(LedgerOpened, { start: true, to: 'open' })
  opened() {}

  @OnEvent(LedgerPosted, { from: 'open' })
  posted(event: LedgerPosted, ctx: ProcessContext<{ posted: number }>) {
    ctx.state.posted += event.amount;
  }

  @OnEvent(LedgerClosed, { to: 'closed' })
  closed(_event: LedgerClosed, ctx: ProcessContext) {
    ctx.complete();
  }
}

const PROVIDERS = [LedgerProcess];

describe.each(STORES)('ProcessManagerService arguments (%s store)', (store) => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  async function start() {
    const clock = new VirtualClock();
    const app = await createApp({
      store,
      url: db.url,
      providers: PROVIDERS,
      clock,
      options: { retry: { maxAttempts: 1 } },
    });
    const processes = app.get(ProcessManagerService);
    const open = async (ledgerId = uniqueKey('ledger')) => {
      await processes.deliver(new LedgerOpened(ledgerId));
      return (await processes.find('ledger', ledgerId))!;
    };
    return { app, clock, processes, open };
  }

  it('refuses arguments a store would choke on with InvalidArgumentError naming the call', async () => {
    const { processes, open } = await start();
    const { id } = await open();
    const calls: [string, () => Promise<unknown>][] = [
      ['list(): limit', () => processes.list({ limit: Number.NaN })],
      ['list(): limit', () => processes.list({ limit: 0 })],
      ['list(): limit', () => processes.list({ limit: 2.5 })],
      ['list(): status', () => processes.list({ status: [] })],
      ['list(): status', () => processes.list({ status: 'runing' as never })],
      ['list(): type', () => processes.list({ type: 'ledger\u0000' })],
      ['list(): updatedBefore', () => processes.list({ updatedBefore: new Date('soon') })],
      ['list(): correlationKey', () => processes.list({ correlationKey: 'k\ud800' })],
      ['find(): correlationKey', () => processes.find('ledger', 'k\u0000')],
      ['find(): correlationKey', () => processes.find('ledger', { id: 1 } as never)],
      ['find(): type', () => processes.find(7 as never, 'k')],
      ['cancel(): reason', () => processes.cancel(id, 'customer\u0000asked')],
      ['deadLetters(): limit', () => processes.deadLetters({ limit: 0 })],
      ['deadLetters(): limit', () => processes.deadLetters({ limit: -3 })],
    ];
    for (const [start, call] of calls) {
      const error = await call().then(
        () => new Error(`${start} was not refused`),
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(new RegExp(`^${start.replace(/[()]/g, '\\$&')} `));
    }
    await expect(processes.list({ cursor: 42 as never })).rejects.toThrow(InvalidCursorError);
    await expect(processes.deadLetters({ cursor: 'not-a-cursor' })).rejects.toThrow(InvalidCursorError);
    expect(await processes.get(id)).toMatchObject({ status: 'running' }); // cancel() wrote nothing
  });

  it('never lets a lone surrogate find the instance of another key', async () => {
    const { processes, open } = await start();
    const replacement = await open('key-\ufffd'); // what a lone surrogate used to be turned into
    await expect(processes.find('ledger', 'key-\ud800')).rejects.toThrow(InvalidArgumentError);
    expect(await processes.find('ledger', 'key-\ufffd')).toMatchObject({ id: replacement.id });
  });

  it('filters by state name, by correlation key in any status, and by last change', async () => {
    const { clock, processes, open } = await start();
    const key = uniqueKey('ledger');
    const first = await open(key);
    await processes.deliver(new LedgerClosed(key));
    clock.advance('1h');
    const cutoff = clock.now();
    clock.advance('1h');
    const second = await open(key);
    const other = await open();

    const byKey = await processes.list({ correlationKey: key, limit: 500 });
    expect(byKey.items.map((item) => [item.id, item.status])).toEqual([
      [second.id, 'running'],
      [first.id, 'completed'],
    ]);
    const open_ = await processes.list({ stateName: 'open', limit: 500 });
    expect(open_.items.map((item) => item.id)).toEqual(expect.arrayContaining([second.id, other.id]));
    expect(open_.items.map((item) => item.id)).not.toContain(first.id);
    const old = await processes.list({ updatedBefore: cutoff, limit: 500 });
    expect(old.items.map((item) => item.id)).toContain(first.id);
    expect(old.items.map((item) => item.id)).not.toContain(second.id);
  });

  it('lists summaries without state when asked, full instances otherwise', async () => {
    const { processes, open } = await start();
    const { id } = await open();
    const summary = (await processes.list({ state: false, limit: 500 })).items.find(
      (item) => item.id === id,
    )!;
    expect(summary).toMatchObject({ id, type: 'ledger', status: 'running', stateName: 'open', version: 1 });
    expect('state' in summary).toBe(false);
    const full = (await processes.list({ limit: 500 })).items.find((item) => item.id === id)!;
    expect(full.state).toEqual({ posted: 0 });
  });

  it('pages dead letters with a cursor, oldest first, and retry() re-runs all of an instance, past one page', async () => {
    const { app, clock, processes, open } = await start();
    const ledger = await open();
    // As many dead letters as 503 posts that failed (written straight to the store: quicker than failing them).
    const count = 503;
    const failures = app.get(FailureStore);
    for (let i = 0; i < count; i++) {
      const at = clock.advance(1);
      await failures.recordFailure({
        id: randomUUID(),
        handler: 'ledger',
        processId: ledger.id,
        correlationKey: ledger.correlationKey,
        messageType: 'LedgerPosted',
        messageId: `post-${i}`,
        payload: { ledgerId: ledger.correlationKey, amount: 1 },
        metadata: { messageId: `post-${i}`, occurredAt: at },
        status: 'dead',
        attempts: 1,
        error: 'Error: posting is broken',
        stack: undefined,
        firstFailedAt: at,
        lastFailedAt: at,
        nextAttemptAt: undefined,
      });
    }

    const seen: string[] = [];
    let page = await processes.deadLetters({ limit: 200 });
    for (;;) {
      seen.push(...page.map((letter) => letter.messageId));
      if (!page.nextCursor) break;
      expect(page).toHaveLength(200);
      page = await processes.deadLetters({ limit: 200, cursor: page.nextCursor });
    }
    expect(seen).toHaveLength(count);
    expect(new Set(seen).size).toBe(count);
    expect(Object.keys(page)).not.toContain('nextCursor'); // the page stays a plain array for JSON
    const firstPage = await processes.deadLetters({ limit: 3 });
    expect(firstPage.map((letter) => letter.messageId)).toEqual(seen.slice(0, 3));

    await processes.retry(ledger.id);
    expect(await processes.get(ledger.id)).toMatchObject({ state: { posted: count } });
    expect(await processes.deadLetters()).toEqual([]);
  }, 30_000);
});
