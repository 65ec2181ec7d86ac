import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  OnEvent,
  type ProcessContext,
  ProcessManager,
  ProcessManagerService,
  withMetadata,
} from 'nestjs-process-manager';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { OutboxRelay, TimerPoller } from '../../src/scheduling/index.js';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { query } from '../support/sql.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Property-style: generated hostile values go through every way input reaches the database — an
 * event's correlation value, the state a handler writes, a command's payload (re-sent by the relay
 * from its stored row), a timer's payload (rebuilt by the poller) and the event's metadata — on real
 * PostgreSQL. Each must end applied intact or refused with a named error and dead-lettered at once:
 * never dropped, never changed, never in the way of a well-formed event for another instance.
 * `PM_HOSTILE_SEED=<n>` replays a run.
 */
const SEED = Number(process.env.PM_HOSTILE_SEED ?? 20_251_201);
const RANDOM_VALUES = 40;

// ---------------------------------------------------------------- a tiny seeded generator

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

class Money {
  constructor(readonly amount: number) {}
}

class Generator {
  constructor(private readonly random: () => number) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  text(): string {
    const pieces = [
      () => String.fromCharCode(97 + this.int(26)),
      () => String.fromCharCode(1 + this.int(31)), // control characters
      () => '\u007f',
      () => '\u0000',
      () => String.fromCharCode(0xd800 + this.int(0x400)), // lone high surrogate
      () => String.fromCharCode(0xdc00 + this.int(0x400)), // lone low surrogate
      () => '😀', // a pair
      () => '\ufffd',
      () => '\u2028',
      () => '\u202e',
      () => '"\\\'',
    ];
    // Mostly well-formed, so that both outcomes are common.
    const wellFormed = [0, 1, 2, 6, 7, 8, 9, 10];
    const hostile = this.random() < 0.35;
    return Array.from({ length: 1 + this.int(12) }, () =>
      (hostile ? this.pick(pieces) : pieces[this.pick(wellFormed)]!)(),
    ).join('');
  }

  number(): number {
    return this.pick([
      -0,
      2 ** 53 + 1,
      -(2 ** 53) - 1,
      1e308,
      -1e308,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      0.1 + 0.2,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      this.random() * 1e6 - 5e5,
      this.int(1000),
    ]);
  }

  key(): string {
    return this.random() < 0.2
      ? this.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', ''])
      : this.text();
  }

  atom(): unknown {
    switch (this.int(12)) {
      case 0:
      case 1:
      case 2:
        return this.text();
      case 3:
      case 4:
        return this.number();
      case 5:
        return this.pick([true, false, null]);
      case 6:
        return this.random() < 0.5 ? undefined : 10n ** BigInt(this.int(30));
      case 7:
        return this.pick([new Date(this.int(2 ** 40)), new Date('invalid')]);
      case 8:
        return this.pick([new Map([['a', 1]]), new Set([1]), new Money(5), new Uint8Array(2)]);
      case 9:
        return { toJSON: () => 'not what was written' };
      default:
        return this.text();
    }
  }

  value(depth = 0): unknown {
    const roll = this.random();
    if (depth > 3 || roll < 0.4) return this.atom();
    if (roll < 0.7) {
      const object: Record<string, unknown> = {};
      for (let i = this.int(6); i > 0; i--) {
        Object.defineProperty(object, this.key(), {
          value: this.value(depth + 1),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return object;
    }
    return Array.from({ length: this.int(5) }, () => this.value(depth + 1));
  }
}

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level++) value = { down: value };
  return value;
}

/** Values every run has, whatever the seed: the edges the generator may not reach. */
function fixedValues(): [string, unknown][] {
  const wide: Record<string, number> = {};
  for (let i = 0; i < 5_000; i++) wide[`k${i}`] = i;
  return [
    ['2,000 levels deep', nested(2_000)],
    ['600 levels deep', nested(600)],
    ['5,000 keys wide', wide],
    ['a 5 MB string', 'x'.repeat(5 * 1024 * 1024)],
    [
      'a parsed __proto__ key',
      JSON.parse('{"__proto__": {"isAdmin": true}, "constructor": {"prototype": 1}}'),
    ],
    ['-0, 2^53+1, 1e308', [-0, 2 ** 53 + 1, 1e308, -1e308, Number.MIN_VALUE]],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a BigInt', 12_345_678_901_234_567_890n],
    ['a Date', new Date('2030-01-01T00:00:00Z')],
    ['a Map', new Map([['line', 1]])],
    ['an undefined property', { kept: 1, dropped: undefined }],
    ['undefined in an array', [1, undefined, 3]],
    ['a NUL character', 'before\u0000after'],
    ['a lone surrogate', 'half \ud83d of a pair'],
    ['control characters', '\u0001\u0002\u001b[31m\u007f\t\n\r'],
  ];
}

// ---------------------------------------------------------------- an independent oracle

type Verdict = { ok: true; json: unknown } | { ok: false };
const REFUSED: Verdict = { ok: false };
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function storableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

/**
 * What the database must give back for a value written at `depth` (the state's or message's fields
 * are at depth 1), written without the library's code: plain JSON that PostgreSQL stores unchanged,
 * `undefined` properties left out and -0 as 0 (the documented normalisations); anything else refused.
 */
function expected(value: unknown, depth: number): Verdict {
  switch (typeof value) {
    case 'string':
      return storableText(value) ? { ok: true, json: value } : REFUSED;
    case 'number':
      return Number.isFinite(value) ? { ok: true, json: value === 0 ? 0 : value } : REFUSED;
    case 'boolean':
      return { ok: true, json: value };
    case 'object': {
      if (value === null) return { ok: true, json: null };
      if (depth >= 1_000) return REFUSED;
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return REFUSED;
        const items: unknown[] = [];
        for (const item of value) {
          const verdict = expected(item, depth + 1);
          if (!verdict.ok) return REFUSED;
          items.push(verdict.json);
        }
        return { ok: true, json: items };
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return REFUSED;
      const json: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const field = (value as Record<string, unknown>)[key];
        if (field === undefined) continue; // left out, key and all
        if (!storableText(key)) return REFUSED;
        const verdict = expected(field, depth + 1);
        if (!verdict.ok) return REFUSED;
        Object.defineProperty(json, key, { value: verdict.json, enumerable: true, writable: true });
      }
      return { ok: true, json };
    }
    default:
      return REFUSED; // undefined at the top or in an array, BigInt, symbol, function
  }
}

function storableId(id: unknown): boolean {
  return typeof id === 'string' && id !== '' && storableText(id) && [...id].length <= 200;
}

/** The correlation value as the instance's key, or undefined when it must be refused. */
function expectedKey(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  return storableText(value) && [...value].length <= 400 ? value : undefined;
}

// ---------------------------------------------------------------- the app under test

class SetState {
  constructor(
    readonly caseId: string,
    readonly key: unknown,
    readonly value: unknown,
  ) {}
}
class SendEcho {
  constructor(
    readonly caseId: string,
    readonly key: string,
    readonly value: unknown,
  ) {}
}
class ScheduleTick {
  constructor(
    readonly caseId: string,
    readonly key: string,
    readonly value: unknown,
  ) {}
}
class Tick {
  constructor(
    readonly key: string,
    readonly value: unknown,
  ) {}
}
class Echo {
  constructor(
    readonly key: string,
    readonly value: unknown,
  ) {}
}

@Injectable()
class EchoLog {
  readonly received = new Map<string, unknown[]>();
}

@CommandHandler(Echo)
class EchoHandler implements ICommandHandler<Echo> {
  constructor(private readonly log: EchoLog) {}

  execute(command: Echo): Promise<void> {
    const received = this.log.received.get(command.key) ?? [];
    this.log.received.set(command.key, [...received, command.value]);
    // The first send fails, so the relay re-sends it from the stored row: the payload makes the trip.
    return received.length === 0 ? Promise.reject(new Error('not yet')) : Promise.resolve();
  }
}

type State = { value?: unknown; ticked?: unknown };

@ProcessManager({ name: 'hostile-input', correlationKey: 'key' })
class HostileInputProcess {
  @OnEvent(SetState, { start: true })
  set(event: SetState, ctx: ProcessContext<State>) {
    ctx.state.value = event.value;
  }

  @OnEvent(SendEcho, { start: true })
  send(event: SendEcho, ctx: ProcessContext<State>) {
    ctx.send(new Echo(event.key, event.value));
  }

  @OnEvent(ScheduleTick, { start: true })
  schedule(event: ScheduleTick, ctx: ProcessContext<State>) {
    ctx.schedule(new Tick(event.key, event.value), { after: '1s' });
  }

  @OnEvent(Tick)
  tick(event: Tick, ctx: ProcessContext<State>) {
    ctx.state.ticked = event.value;
  }
}

// ---------------------------------------------------------------- the cases

type Channel = 'state' | 'command' | 'timer' | 'correlation' | 'metadata';

interface Case {
  id: string;
  channel: Channel;
  label: string;
  event: SetState | SendEcho | ScheduleTick;
  /** The named error of a refusal; undefined when the input must be applied. */
  refusal: string | undefined;
  /** What must be read back when applied. */
  json: unknown;
  /** The instance's key when applied. */
  key: string;
}

function buildCases(): Case[] {
  const generate = new Generator(mulberry32(SEED));
  const values: [string, unknown][] = [
    ...fixedValues(),
    ...Array.from({ length: RANDOM_VALUES }, (_, i): [string, unknown] => [`random #${i}`, generate.value()]),
  ];
  const cases: Case[] = [];
  const add = (
    channel: Channel,
    label: string,
    make: (id: string) => Omit<Case, 'id' | 'channel' | 'label'>,
  ) => {
    const id = `case-${cases.length}`;
    cases.push({ id, channel, label, ...make(id) });
  };
  for (const [label, value] of values) {
    // The value is a field of the state or the message: `undefined` leaves the field out.
    const verdict: Verdict = value === undefined ? { ok: true, json: undefined } : expected(value, 1);
    const json = verdict.ok ? verdict.json : undefined;
    add('state', label, (id) => ({
      event: new SetState(id, id, value),
      refusal: verdict.ok ? undefined : 'StateNotSerializableError',
      json,
      key: id,
    }));
    add('command', label, (id) => ({
      event: new SendEcho(id, id, value),
      refusal: verdict.ok ? undefined : 'MessageNotSerializableError',
      json,
      key: id,
    }));
    add('timer', label, (id) => ({
      event: new ScheduleTick(id, id, value),
      refusal: verdict.ok ? undefined : 'MessageNotSerializableError',
      json,
      key: id,
    }));
  }
  const keys: unknown[] = [
    'k-\ud800', // once encoded as U+FFFD: the instance of the next key
    'k-\ufffd',
    'k-\u0000',
    'k'.repeat(401),
    '😀'.repeat(400),
    { id: 1 },
    ['k'],
    true,
    Number.NaN,
    -0,
    2 ** 53 + 1,
    ...Array.from({ length: 8 }, () => generate.text()),
  ];
  for (const [index, key] of keys.entries()) {
    const stored = expectedKey(key);
    add('correlation', `correlation value #${index}`, (id) => ({
      event: new SetState(id, key, 'v'),
      refusal: stored === undefined ? 'InvalidCorrelationValueError' : undefined,
      json: 'v',
      key: stored ?? '',
    }));
  }
  // Each id starts with its case's id, so that no two cases share one (the inbox would dedupe them).
  const ids: ((id: string) => unknown)[] = [
    (id) => `${id}:`.padEnd(200, 'm'),
    (id) => `${id}:`.padEnd(201, 'm'),
    (id) => `${id}:${'😀'.repeat(199 - id.length)}`,
    (id) => `${id}:\u0000`,
    (id) => `${id}:\udc00`,
    (id) => `${id}:\u0007\u001b`,
    () => 42,
    ...Array.from({ length: 8 }, () => {
      const text = generate.text();
      return (id: string) => `${id}:${text}`;
    }),
  ];
  for (const [index, idOf] of ids.entries()) {
    add('metadata', `messageId #${index}`, (id) => {
      const messageId = idOf(id);
      return {
        event: withMetadata(new SetState(id, id, 'v'), {
          messageId: messageId as string,
          occurredAt: new Date(),
        }),
        refusal: storableId(messageId) ? undefined : 'InvalidMessageMetadataError',
        json: 'v',
        key: id,
      };
    });
    add('metadata', `causationId #${index}`, (id) => {
      const causationId = idOf(id);
      return {
        event: withMetadata(new SetState(id, id, 'v'), {
          messageId: `${id}-message`,
          causationId: causationId as string,
          occurredAt: new Date(),
        }),
        refusal:
          typeof causationId === 'string' && storableText(causationId)
            ? undefined
            : 'InvalidMessageMetadataError',
        json: 'v',
        key: id,
      };
    });
  }
  return cases;
}

// ---------------------------------------------------------------- the property

describe(`hostile input through event, state, command, timer and metadata (PostgreSQL, seed ${SEED})`, () => {
  const db = useTestDatabase();
  const createApp = useTestApps();

  it('applies each input intact, or refuses it with a named error as a dead letter at once', async () => {
    const clock = new VirtualClock();
    const app = await createApp({
      url: db.url,
      providers: [HostileInputProcess, EchoHandler, EchoLog],
      clock,
      options: { retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50 } },
    });
    const processes = app.get(ProcessManagerService);
    const cases = buildCases();
    const companions = cases.map(
      (c) => new SetState(`${c.id}-companion`, `${c.id}-companion`, 'well-formed'),
    );

    const failures: string[] = [];
    for (let start = 0; start < cases.length; start += 16) {
      const batch = cases.slice(start, start + 16);
      const delivered = await Promise.allSettled(
        batch.flatMap((c, i) => [processes.deliver(c.event), processes.deliver(companions[start + i]!)]),
      );
      delivered.forEach((result, i) => {
        if (result.status === 'rejected') {
          const c = batch[Math.floor(i / 2)]!;
          failures.push(`${c.channel} / ${c.label} (${c.id}): deliver() rejected: ${String(result.reason)}`);
        }
      });
    }
    await settleTimersAndRelay(app, clock, cases);

    const deadLetters = await deadLettersByCase(app);
    for (const c of cases) {
      const problem = await check(processes, app, c, deadLetters.get(c.id));
      if (problem) failures.push(`${c.channel} / ${c.label} (${c.id}): ${problem}`);
    }
    for (const companion of companions) {
      const instance = await processes.find('hostile-input', companion.key as string);
      if ((instance?.state as State | undefined)?.value !== 'well-formed') {
        failures.push(`the well-formed event for ${companion.key as string} was not applied`);
      }
    }
    expect(failures).toEqual([]);
    // Both outcomes were exercised, on every channel.
    for (const channel of ['state', 'command', 'timer', 'correlation', 'metadata'] as const) {
      const of = cases.filter((c) => c.channel === channel);
      expect(of.some((c) => c.refusal)).toBe(true);
      expect(of.some((c) => !c.refusal)).toBe(true);
    }
  }, 60_000);
});

async function settleTimersAndRelay(app: TestingModule, clock: VirtualClock, cases: Case[]): Promise<void> {
  const log = app.get(EchoLog);
  const commands = cases.filter((c) => c.channel === 'command' && !c.refusal);
  await waitFor(
    async () => {
      clock.advance('2s');
      await app.get(TimerPoller).tickOnce();
      await app.get(OutboxRelay).tickOnce();
      const sent = commands.every((c) => (log.received.get(c.key)?.length ?? 0) >= 2);
      const [row] = await query<{ count: string }>(app, 'SELECT count(*) FROM pm_timer');
      return sent && Number(row!.count) === 0;
    },
    'every re-sent command and every timer',
    30_000,
  );
}

interface DeadLetterRow {
  case_id: string;
  status: string;
  attempts: number;
  error: string;
}

async function deadLettersByCase(app: TestingModule): Promise<Map<string, DeadLetterRow[]>> {
  const rows = await query<DeadLetterRow>(
    app,
    `SELECT payload->>'caseId' AS case_id, status, attempts, error FROM pm_dead_letter`,
  );
  const byCase = new Map<string, DeadLetterRow[]>();
  for (const row of rows) byCase.set(row.case_id, [...(byCase.get(row.case_id) ?? []), row]);
  return byCase;
}

/** What is wrong with the outcome of one case, or undefined. */
async function check(
  processes: ProcessManagerService,
  app: TestingModule,
  c: Case,
  deadLetters: DeadLetterRow[] = [],
): Promise<string | undefined> {
  if (c.refusal) {
    const [letter] = deadLetters;
    if (!letter) {
      const instance = c.key === '' ? null : await processes.find('hostile-input', c.key);
      return instance
        ? `expected ${c.refusal}, but it was applied as ${preview(instance.state)}`
        : `expected a dead letter with ${c.refusal}, found none (dropped)`;
    }
    if (deadLetters.length > 1) return `expected one dead letter, found ${deadLetters.length}`;
    if (letter.status !== 'dead' || letter.attempts !== 1)
      return `expected dead after 1 attempt, found ${letter.status} after ${letter.attempts}`;
    if (!letter.error.startsWith(`${c.refusal}: `))
      return `expected ${c.refusal}, found ${letter.error.slice(0, 300)}`;
    const [row] = await query<{ count: string }>(
      app,
      `SELECT count(*) FROM pm_outbox WHERE type = 'Echo' AND payload->>'key' = $1`,
      [c.id],
    );
    return Number(row!.count) === 0 ? undefined : 'a refused step left an outbox row';
  }
  if (deadLetters.length > 0) return `expected it applied, found ${deadLetters[0]!.error.slice(0, 300)}`;
  const instance = await processes.find('hostile-input', c.key);
  if (!instance) return 'expected an instance, found none (dropped)';
  const state = instance.state as State;
  switch (c.channel) {
    case 'state':
    case 'correlation':
    case 'metadata':
      return same(state.value, c.json, 'state.value');
    case 'timer':
      return same(state.ticked, c.json, 'state.ticked (from the timer row)');
    case 'command': {
      const [row] = await query<{ payload: unknown }>(
        app,
        `SELECT payload FROM pm_outbox WHERE type = 'Echo' AND payload->>'key' = $1`,
        [c.id],
      );
      const received = app.get(EchoLog).received.get(c.key) ?? [];
      return (
        same(
          (row?.payload as { value?: unknown } | undefined)?.value,
          c.json,
          'the stored command payload',
        ) ?? same(received[1], c.json, 'the command re-sent by the relay')
      );
    }
  }
}

function same(actual: unknown, wanted: unknown, what: string): string | undefined {
  try {
    expect(actual).toEqual(wanted); // not toStrictEqual: it compares own `constructor` keys as classes
    return undefined;
  } catch {
    return `${what} changed: ${preview(actual)} instead of ${preview(wanted)}`;
  }
}

function preview(value: unknown): string {
  const text = JSON.stringify(value, (_key, field: unknown) =>
    typeof field === 'bigint' ? `${field}n` : field,
  );
  return text === undefined ? String(value) : text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
