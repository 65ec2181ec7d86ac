import { describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { EventBus, UnhandledExceptionBus, type UnhandledExceptionInfo } from '@nestjs/cqrs';
import {
  OnEvent,
  ProcessDeadLettered,
  ProcessManager,
  ProcessManagerError,
  ProcessManagerService,
  type ProcessContext,
} from 'nestjs-process-manager';
import { escapeText, storableJson, storableKey } from '../../src/runtime/failure-record.js';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey, withMessageId } from '../support/messages.js';
import { query } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

const NUL = '\u0000';
const LONE_SURROGATE = '\ud800';
/** A clean note whose handler throws an error with a NUL in its message. */
const ERROR_WITH_NUL = 'error-with-nul';

class LedgerOpened {
  constructor(readonly ledgerId: string) {}
}
/** Its handler always throws an error that repeats `note`. */
class LedgerNoted {
  constructor(
    readonly ledgerId: string,
    readonly note: unknown,
  ) {}
}

@ProcessManager({ name: 'hostile-ledger', correlationKey: 'ledgerId', initialState: () => ({ notes: 0 }) })
class LedgerProcess {
  @OnEvent(LedgerOpened, { start: true })
  onOpened() {}

  @OnEvent(LedgerNoted)
  onNoted(event: LedgerNoted, _ctx: ProcessContext<{ notes: number }>) {
    throw new Error(`cannot take note ${event.note === ERROR_WITH_NUL ? NUL : typeof event.note}`);
  }
}

interface DeadLetterRow {
  handler: string;
  process_id: string | null;
  correlation_key: string | null;
  message_id: string;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  status: 'retrying' | 'dead';
  attempts: number;
  error: string;
}

describe('failure records that repeat the bad input (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  async function start() {
    const app = await createApp({
      url: db.url,
      providers: [LedgerProcess],
      options: { retry: { maxAttempts: 3, initialDelayMs: 60_000, maxDelayMs: 60_000 } },
    });
    const unhandled: UnhandledExceptionInfo<unknown>[] = [];
    app.get<UnhandledExceptionBus<unknown>>(UnhandledExceptionBus).subscribe((info) => unhandled.push(info));
    const deadLettered: ProcessDeadLettered[] = [];
    app.get(EventBus).subscribe((event: object) => {
      if (event instanceof ProcessDeadLettered) deadLettered.push(event);
    });
    return {
      app,
      bus: app.get(EventBus),
      processes: app.get(ProcessManagerService),
      unhandled,
      deadLettered,
    };
  }

  async function openLedger(app: TestingModule) {
    const ledgerId = uniqueKey('ledger');
    app.get(EventBus).publish(new LedgerOpened(ledgerId));
    const instance = await waitFor(
      () => app.get(ProcessManagerService).find('hostile-ledger', ledgerId),
      'the ledger',
    );
    return instance;
  }

  const letterOf = async (app: TestingModule, where: string, params: unknown[]) =>
    waitFor(async () => {
      const [row] = await query<DeadLetterRow>(app, `SELECT * FROM pm_dead_letter WHERE ${where}`, params);
      return row;
    }, `the failure record (${where})`);

  /** A dead letter whose error starts with the name of one of the library's errors. */
  function expectNamedDeadLetter(row: DeadLetterRow) {
    expect(row.status).toBe('dead');
    expect(row.attempts).toBe(1);
    expect(row.error).toMatch(/^[A-Z]\w*Error: /);
  }

  it.each([
    ['a NUL character', `before${NUL}after`, 'before\\u0000after'],
    ['a lone surrogate', `before${LONE_SURROGATE}after`, 'before\\ud800after'],
  ])(
    'dead-letters an event holding %s in a string, escaped, and publishes ProcessDeadLettered',
    async (_case, note, stored) => {
      const { app, bus, processes, unhandled, deadLettered } = await start();
      const instance = await openLedger(app);
      const messageId = uniqueKey('noted');
      bus.publish(withMessageId(new LedgerNoted(instance.correlationKey, note), messageId));

      const row = await letterOf(app, 'message_id = $1', [messageId]);
      expectNamedDeadLetter(row);
      expect(row).toMatchObject({
        handler: 'hostile-ledger',
        process_id: instance.id,
        correlation_key: instance.correlationKey,
        payload: { ledgerId: instance.correlationKey, note: stored },
      });
      expect(row.error).toContain('payload.note contains NUL or a lone surrogate (escaped)');
      const [notice] = await waitFor(() => deadLettered.length > 0 && deadLettered, 'ProcessDeadLettered');
      expect(notice).toMatchObject({
        processId: instance.id,
        processType: 'hostile-ledger',
        messageType: 'LedgerNoted',
      });
      expect((await processes.get(instance.id))?.lastError).toBe(row.error);
      expect(unhandled.map((info) => info.exception)).toEqual([expect.any(ProcessManagerError)]);
      expect((await processes.deadLetters()).map((letter) => letter.messageId)).toContain(messageId);
    },
  );

  it('dead-letters an event with a BigInt field, the BigInt stored as a marked string', async () => {
    const { app, bus, unhandled, deadLettered } = await start();
    const instance = await openLedger(app);
    const messageId = uniqueKey('noted');
    bus.publish(withMessageId(new LedgerNoted(instance.correlationKey, 12345678901234567890n), messageId));

    const row = await letterOf(app, 'message_id = $1', [messageId]);
    expectNamedDeadLetter(row);
    expect(row.payload).toEqual({ ledgerId: instance.correlationKey, note: '12345678901234567890n' });
    expect(row.error).toContain('payload.note is a BigInt');
    await waitFor(() => deadLettered.length === 1, 'ProcessDeadLettered');
    expect(unhandled).toHaveLength(1);
  });

  it('dead-letters an event that contains a cycle, the cycle cut', async () => {
    const { app, bus } = await start();
    const instance = await openLedger(app);
    const note: Record<string, unknown> = { text: 'loop' };
    note.self = note;
    const messageId = uniqueKey('noted');
    bus.publish(withMessageId(new LedgerNoted(instance.correlationKey, note), messageId));

    const row = await letterOf(app, 'message_id = $1', [messageId]);
    expectNamedDeadLetter(row);
    expect(row.payload).toEqual({
      ledgerId: instance.correlationKey,
      note: { text: 'loop', self: '[Circular]' },
    });
  });

  it.each([
    ['a NUL character', (key: string) => `${key}${NUL}`],
    ['a lone surrogate', (key: string) => `${key}${LONE_SURROGATE}`],
    ['more than 400 characters', (key: string) => `${key}-${'x'.repeat(400)}`],
  ])(
    'dead-letters a start event whose correlation value has %s, under a stable key',
    async (_case, hostile) => {
      const { app, bus, unhandled } = await start();
      const ledgerId = hostile(uniqueKey('ledger'));
      const [first, second] = [uniqueKey('opened'), uniqueKey('opened')];
      bus.publish(withMessageId(new LedgerOpened(ledgerId), first));
      bus.publish(withMessageId(new LedgerOpened(ledgerId), second));

      const rows = await waitFor(async () => {
        const found = await query<DeadLetterRow>(
          app,
          `SELECT * FROM pm_dead_letter WHERE message_id = ANY($1) ORDER BY correlation_key, message_id`,
          [[first, second]],
        );
        return found.length === 2 && found;
      }, 'both failure records');
      for (const row of rows) expectNamedDeadLetter(row);
      expect(rows[0]!.payload.ledgerId).toBe(escapeText(ledgerId));
      // Refused while correlating, the record has no key; refused later, both name the same stored key.
      expect(rows[0]!.correlation_key).toBe(rows[1]!.correlation_key);
      if (rows[0]!.correlation_key !== null) {
        expect(rows[0]!.correlation_key).toBe(storableKey(ledgerId, 400));
        expect(rows[0]!.correlation_key).toMatch(/#[0-9a-f]{16}$/);
      }
      expect(unhandled).toHaveLength(2);
    },
  );

  it('dead-letters a message with an over-long messageId once per id, under a stable stored id', async () => {
    const { app, bus, unhandled } = await start();
    const instance = await openLedger(app);
    const messageId = `ext-${'9'.repeat(250)}`;
    const other = `ext-${'9'.repeat(249)}8`;
    const storedIds = [storableKey(messageId, 200), storableKey(other, 200)];
    const letters = (count: number) =>
      waitFor(async () => {
        const rows = await query<DeadLetterRow>(
          app,
          `SELECT * FROM pm_dead_letter WHERE message_id = ANY($1) ORDER BY payload->>'note'`,
          [storedIds],
        );
        return rows.reduce((sum, row) => sum + row.attempts, 0) === count && rows;
      }, `${count} failures recorded`);
    bus.publish(withMessageId(new LedgerNoted(instance.correlationKey, 'a'), messageId));
    await letters(1);
    bus.publish(withMessageId(new LedgerNoted(instance.correlationKey, 'a'), messageId)); // redelivered
    bus.publish(withMessageId(new LedgerNoted(instance.correlationKey, 'b'), other));

    const rows = await letters(3);
    expect(rows.map((row) => row.message_id)).toEqual(storedIds);
    for (const row of rows) {
      expect(row.status).toBe('dead');
      expect(row.error).toMatch(/^[A-Z]\w*Error: /);
      expect(row.message_id.length).toBeLessThanOrEqual(200);
      expect(row.message_id).toMatch(/^ext-9+#[0-9a-f]{16}$/);
    }
    expect(rows[0]!.attempts).toBe(2); // the redelivery updated the same record
    expect(rows.map((row) => row.metadata.messageId)).toEqual([messageId, other]); // kept whole where it fits
    expect(unhandled).toHaveLength(3);
  });

  it('keeps an ordinary failure whose error text holds a NUL as a retry, the text escaped', async () => {
    const { app, bus, deadLettered } = await start();
    const instance = await openLedger(app);
    const messageId = uniqueKey('noted');
    bus.publish(withMessageId(new LedgerNoted(instance.correlationKey, ERROR_WITH_NUL), messageId));

    const row = await letterOf(app, 'message_id = $1', [messageId]);
    expect(row).toMatchObject({
      status: 'retrying',
      attempts: 1,
      error: 'Error: cannot take note \\u0000',
      payload: { ledgerId: instance.correlationKey, note: ERROR_WITH_NUL },
    });
    expect(deadLettered).toEqual([]);
  });
});

describe('storable failure record values', () => {
  it('keeps storable keys as they are and shortens others deterministically and distinctly', () => {
    expect(storableKey('order-1', 200)).toBe('order-1');
    const long = 'k'.repeat(500);
    expect(storableKey(long, 400)).toBe(storableKey(long, 400));
    expect(storableKey(long, 400)).toHaveLength(400);
    expect(storableKey(`${long}a`, 400)).not.toBe(storableKey(`${long}b`, 400));
    // Two values that only a lone surrogate tells apart stay apart (UTF-8 would make both U+FFFD).
    expect(storableKey('a\ud800', 200)).not.toBe(storableKey('a\udbff', 200));
    expect(storableKey(`a${NUL}`, 200)).toMatch(/^a\\u0000#[0-9a-f]{16}$/);
    // A cut never leaves half of a surrogate pair behind.
    const emoji = `${'e'.repeat(182)}😀😀😀`;
    expect(storableKey(emoji, 200)).not.toMatch(/[\ud800-\udfff]/u);
  });

  it('turns any value into JSON PostgreSQL stores, listing what it changed', () => {
    const alterations: string[] = [];
    const cyclic: Record<string, unknown> = {};
    cyclic.again = cyclic;
    const shared = { n: 1 };
    const value = {
      text: `a${NUL}b`,
      big: 10n,
      cyclic,
      twice: [shared, shared],
      when: new Date('2026-01-01T00:00:00Z'),
      skipped: undefined,
      fn: () => 1,
      ['__proto__']: 'a key, not a prototype',
      broken: {
        toJSON() {
          throw new Error('no');
        },
      },
    };
    const json = storableJson(value, 'payload', alterations) as Record<string, unknown>;
    expect(JSON.parse(JSON.stringify(json))).toEqual({
      text: 'a\\u0000b',
      big: '10n',
      cyclic: { again: '[Circular]' },
      twice: [{ n: 1 }, { n: 1 }],
      when: '2026-01-01T00:00:00.000Z',
      ['__proto__']: 'a key, not a prototype',
      broken: '[toJSON threw: Error: no]',
    });
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
    expect(alterations).toEqual([
      'payload.text contains NUL or a lone surrogate (escaped)',
      'payload.big is a BigInt (stored as the string "10n")',
      'payload.cyclic.again refers back to an enclosing object (a cycle, cut)',
      'payload.broken.toJSON() threw (Error: no)',
    ]);
    const clean: string[] = [];
    expect(storableJson({ a: [1, 'two', null] }, 'payload', clean)).toEqual({ a: [1, 'two', null] });
    expect(clean).toEqual([]);
  });
});
