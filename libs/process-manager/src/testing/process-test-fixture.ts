import { randomUUID } from 'node:crypto';
import { type DynamicModule, type ForwardReference, Module, type Provider, type Type } from '@nestjs/common';
import { CommandBus, CommandHandlerNotFoundException, CqrsModule, EventBus } from '@nestjs/cqrs';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Subscription } from 'rxjs';
import { messageTypeName } from '../kernel/message-type.js';
import { ProcessMetadataAccessor } from '../definition/process-metadata.accessor.js';
import type { ProcessStatus } from '../kernel/process-context.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import { ProcessManagerService } from '../operations/process-manager.service.js';
import { DEADLINE_TIMER } from '../engine/process-engine.js';
import type { PendingTimer } from '../operations/operator-audit.js';
import { ProcessManagerModule } from '../process-manager.module.js';
import { Clock } from '../kernel/clock.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { TimerPoller } from '../scheduling/timer.poller.js';
import { RoutingTable } from '../definition/routing-table.js';
import { StepStore } from '../ports/step-store.js';
import { assertEqual, plain, project } from './expectations.js';
import { VirtualClock } from './virtual-clock.js';

export interface ProcessTestFixtureOptions {
  /** Providers the process needs (services it injects, fake command handlers). */
  providers?: Provider[];
  imports?: (Type | DynamicModule | ForwardReference)[];
  /** Start of virtual time. @default 2030-01-01T00:00:00Z */
  startAt?: Date | string;
}

/** A timer `expectTimers` looks for; only the fields given are compared. */
export interface ExpectedTimer {
  /** The name given to `ctx.schedule()`; `undefined` for an unnamed timer. */
  name?: string | undefined;
  /** The message class, or a message compared by type and (partial) payload. */
  message?: Type | object;
  /** Exact due time, e.g. `new Date('2030-01-01T00:15:00Z')`. */
  dueAt?: Date | string;
}

/**
 * Given-when-then tests of one process manager or saga class without a database or running app:
 * the real engine and runner on the in-memory store, with a virtual clock.
 *
 * ```ts
 * const fixture = await ProcessTestFixture.create(OrderProcess);
 * await fixture.given(new OrderPlaced('o-1', 42));
 * await fixture.when(new PaymentReceived('o-1'));
 * fixture.expectCommands(new ShipOrder('o-1')).expectStatus('completed');
 * await fixture.close();
 * ```
 */
export class ProcessTestFixture {
  /** Commands sent during the last `given`/`when`/`advanceTime`, in order. */
  readonly commands: object[] = [];
  /** Events published during the last step (the process's and the library's). */
  readonly events: object[] = [];
  private readonly subscription: Subscription;

  private constructor(
    private readonly app: TestingModule,
    readonly clock: VirtualClock,
    readonly processType: string,
  ) {
    this.captureCommands(app.get(CommandBus));
    this.subscription = app.get(EventBus).subscribe((event: object) => this.events.push(event));
  }

  static async create(
    processClass: Type,
    options: ProcessTestFixtureOptions = {},
  ): Promise<ProcessTestFixture> {
    const clock = new VirtualClock(options.startAt);
    @Module({
      imports: [
        CqrsModule.forRoot(),
        ProcessManagerModule.forRoot({
          store: 'memory',
          timers: { enabled: false },
          outbox: { enabled: false },
          recovery: { enabled: false },
          retention: { enabled: false },
        }),
        ...(options.imports ?? []),
      ],
      providers: [processClass, ...(options.providers ?? [])],
    })
    class ProcessTestFixtureModule {}
    const app = await Test.createTestingModule({ imports: [ProcessTestFixtureModule] })
      .overrideProvider(Clock)
      .useValue(clock)
      .compile();
    app.useLogger(['error']);
    await app.init();
    const name = app.get(ProcessMetadataAccessor).getProcessManager(processClass)?.name ?? processClass.name;
    return new ProcessTestFixture(app, clock, name);
  }

  /** Events that happened before; their effects are not what the test asserts. */
  async given(...events: object[]): Promise<this> {
    for (const event of events) await this.deliver(event);
    return this;
  }

  /**
   * An instance already running for `correlationKey` in `state`, as an older version of the process
   * (`version`, default the current one) wrote it, optionally resting in `stateName`: the next event
   * runs the migrations from `version` up before its handler, as in production.
   */
  async givenState(
    correlationKey: string,
    state: object,
    options: { version?: number; stateName?: string } = {},
  ): Promise<this> {
    const process = this.app.get(RoutingTable).process(this.processType)!;
    const now = this.clock.now();
    const id = randomUUID();
    const stateVersion = options.version ?? process.version;
    const messageId = `given-state:${id}`;
    await this.app.get(StepStore).commit({
      isNew: true,
      expectedVersion: 0,
      instance: {
        id,
        type: this.processType,
        correlationKey,
        status: 'running',
        stateName: options.stateName,
        state,
        version: 1,
        stateVersion,
        startedAt: now,
        updatedAt: now,
      },
      inbox: { messageId },
      outgoing: [],
      associations: [],
      timers: { scheduled: [], cancelled: [], cancelAll: false },
      history: {
        messageType: 'ProcessManager.GivenState',
        messageId,
        outcome: 'handled',
        toState: options.stateName,
        status: 'running',
        commands: [],
        at: now,
        state,
        stateVersion,
      },
    });
    return this;
  }

  /** The event under test; expectations look at what it caused. */
  async when(event: object): Promise<this> {
    this.commands.length = 0;
    this.events.length = 0;
    await this.deliver(event);
    return this;
  }

  /** Moves virtual time forward and delivers every timer (and retry) that fell due. */
  async advanceTime(duration: number | string): Promise<this> {
    this.commands.length = 0;
    this.events.length = 0;
    this.clock.advance(duration);
    const poller = this.app.get(TimerPoller);
    while ((await poller.tickOnce()) > 0) await this.runner.whenIdle();
    return this;
  }

  /** The instance of the process type updated last, or the active one for `correlationKey`. */
  async instance(correlationKey?: string): Promise<ProcessInstance> {
    const service = this.app.get(ProcessManagerService);
    const found =
      correlationKey !== undefined
        ? await service.find(this.processType, correlationKey)
        : (await service.list({ type: this.processType, limit: 500 })).items.sort(
            (a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || b.version - a.version,
          )[0];
    if (!found)
      throw new Error(`No "${this.processType}" instance${correlationKey ? ` for ${correlationKey}` : ''}.`);
    return found;
  }

  /** The commands of the last step, in order, compared by type and payload. */
  expectCommands(...expected: object[]): this {
    assertEqual(this.commands.map(describe), expected.map(describe), 'Commands sent');
    return this;
  }

  /** Events published in the last step whose type is among `expected`'s, by type and payload. */
  expectEvents(...expected: object[]): this {
    const types = new Set(expected.map((event) => messageTypeName(event.constructor)));
    const actual = this.events.filter((event) => types.has(messageTypeName(event.constructor)));
    assertEqual(actual.map(describe), expected.map(describe), 'Events published');
    return this;
  }

  /** Partial deep match of the state: only the keys given are compared. */
  async expectState(expected: object, correlationKey?: string): Promise<this> {
    const { state } = await this.instance(correlationKey);
    assertEqual(project(plain(state), plain(expected)), plain(expected), 'State');
    return this;
  }

  async expectStatus(expected: ProcessStatus, correlationKey?: string): Promise<this> {
    const { status, lastError } = await this.instance(correlationKey);
    assertEqual(status, expected, `Status (last error: ${lastError ?? 'none'})`);
    return this;
  }

  async expectStateName(expected: string | undefined, correlationKey?: string): Promise<this> {
    assertEqual((await this.instance(correlationKey)).stateName, expected, 'Named state');
    return this;
  }

  /**
   * The timers the process scheduled with `ctx.schedule()` (named and unnamed) that have not fired,
   * due first, each compared on the fields its expected entry gives. The deadline of
   * `@ProcessManager({ timeout })` is not among them: see `expectDeadline`.
   */
  async expectTimers(expected: readonly ExpectedTimer[], correlationKey?: string): Promise<this> {
    const { id } = await this.instance(correlationKey);
    const timers = (await this.pendingTimers(id)).filter((timer) => timer.name !== DEADLINE_TIMER);
    const actual = timers.map((timer, index) => viewTimer(timer, expected[index]));
    const wanted = expected.map((want) => viewExpectedTimer(want));
    assertEqual(actual, wanted, `Pending timers of ${this.processType} ${id}`);
    return this;
  }

  /**
   * The deadline of `@ProcessManager({ timeout })`: pending (due at `at`, if given), or with
   * `false` not pending (no timeout, or the instance ended).
   */
  async expectDeadline(at?: Date | string | false, correlationKey?: string): Promise<this> {
    const { id } = await this.instance(correlationKey);
    const deadline = (await this.pendingTimers(id)).find((timer) => timer.name === DEADLINE_TIMER);
    const actual = deadline ? (at ? deadline.dueAt.toISOString() : 'pending') : 'none';
    const wanted = at === false ? 'none' : at ? new Date(at).toISOString() : 'pending';
    assertEqual(actual, wanted, `Deadline of ${this.processType} ${id}`);
    return this;
  }

  get<T>(token: Type<T> | string | symbol): T {
    return this.app.get(token);
  }

  async close(): Promise<void> {
    this.subscription.unsubscribe();
    await this.app.close();
  }

  private pendingTimers(processId: string): Promise<PendingTimer[]> {
    return this.app.get(ProcessManagerService).timers(processId);
  }

  private get runner(): ProcessRunner {
    return this.app.get(ProcessRunner);
  }

  private async deliver(event: object): Promise<void> {
    await this.runner.handle(event);
    await this.runner.whenIdle();
  }

  /** Records every command; one without a handler in the fixture is recorded, not an error. */
  private captureCommands(bus: CommandBus): void {
    const execute = bus.execute.bind(bus);
    bus.execute = (async (command: object) => {
      this.commands.push(command);
      try {
        return await execute(command);
      } catch (error) {
        if (!(error instanceof CommandHandlerNotFoundException)) throw error;
        return undefined;
      }
    }) as typeof bus.execute;
  }
}

function describe(message: object): { type: string; payload: unknown } {
  return { type: messageTypeName(message.constructor), payload: plain(message) };
}

/** A pending timer, on the fields `want` compares; every field when nothing is expected of it. */
function viewTimer(timer: PendingTimer, want: ExpectedTimer | undefined): object {
  const message = { type: timer.messageType, payload: timer.payload };
  if (!want) return { name: timer.name, message, dueAt: timer.dueAt.toISOString() };
  return {
    ...('name' in want && { name: timer.name }),
    ...(want.message && {
      message:
        typeof want.message === 'function'
          ? timer.messageType
          : { type: timer.messageType, payload: project(timer.payload, plain(want.message)) },
    }),
    ...(want.dueAt && { dueAt: timer.dueAt.toISOString() }),
  };
}

function viewExpectedTimer(want: ExpectedTimer): object {
  return {
    ...('name' in want && { name: want.name }),
    ...(want.message && {
      message: typeof want.message === 'function' ? messageTypeName(want.message) : describe(want.message),
    }),
    ...(want.dueAt && { dueAt: new Date(want.dueAt).toISOString() }),
  };
}
