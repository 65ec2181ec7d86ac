import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { catchError, defer, EMPTY, filter, mergeMap, type Subscription } from 'rxjs';
import type { StatefulRoute, StatelessRoute } from '../definition/process-definition.js';
import { RoutingTable } from '../definition/routing-table.js';
import type { Decision } from '../engine/decision.js';
import {
  checkMetadata,
  correlate,
  decide,
  decideStall,
  type EngineEnvironment,
} from '../engine/process-engine.js';
import { isLive, type ProcessInstance } from '../kernel/process-instance.js';
import {
  ConcurrencyConflictError,
  ConflictRetriesExhaustedError,
  HandlerTimeoutError,
  NoActiveInstanceError,
} from '../errors/index.js';
import { CommandDispatchFailed } from '../events/system-messages.js';
import { outgoingMessageId } from '../kernel/message-id.js';
import { getMetadata, type MessageMetadata, withMetadata } from '../kernel/message-metadata.js';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import type { Dispatchable, DispatchFailure, LocalDelivery } from './dispatchable.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';
import { FailureStore } from '../ports/failure-store.js';
import { ProcessControl } from '../ports/process-control.js';
import { ProcessQueries } from '../ports/process-queries.js';
import type { FailureRecord, TimerRecord } from '../ports/records.js';
import { StepStore } from '../ports/step-store.js';
import { TimerStore } from '../ports/timer-store.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { Clock } from '../kernel/clock.js';
import { describeError } from '../kernel/describe-error.js';
import { CqrsBuses } from './cqrs-buses.js';
import { DeliveryFailures } from './delivery-failures.js';
import { HeldDeliveries } from './held-deliveries.js';
import { InstanceCache } from './instance-cache.js';
import { instanceKey } from './instance-key.js';
import { InstanceQueue } from './instance-queue.js';
import { withTimeout } from './timeout.js';
import { isUndeliverable, UndeliverableMessages } from './undeliverable-messages.js';

/**
 * How a delivery finds its instance: by correlation value (events) or by id (timers, retries), with
 * the instance's correlation key when the caller knows it. The delivery queues under
 * `instanceKey(type, correlationKey)` — for associations and ids without a key that is a guess, and
 * the step re-queues under the instance's own key once it has loaded the instance.
 */
type Target =
  { correlationKey: string; associationKey?: string } | { processId: string; correlationKey?: string };

/** What one step inside the queue came to: a decision to dispatch, nothing to do, or the instance's own key. */
type StepResult =
  | { kind: 'committed'; decision: Decision }
  | { kind: 'skipped' }
  | { kind: 'moved'; instance: ProcessInstance };

/** What became of a delivery: a step committed, nothing to do (duplicate, no instance), or a failure recorded. */
type Outcome = 'committed' | 'skipped' | 'failed';

/** The instance a delivery reached, kept for its dead letter should it fail. */
interface Seen {
  processId?: string;
  correlationKey?: string;
}

/**
 * The path of one event: EventBus → routes → correlate → load → engine → commit → dispatch.
 * Timers, retries and recovery enter the same path through `deliverTimer`, `redeliver` and `stall`.
 */
@Injectable()
export class ProcessRunner implements OnApplicationBootstrap, BeforeApplicationShutdown, LocalDelivery {
  private readonly logger = new Logger(ProcessRunner.name);
  private readonly queue = new InstanceQueue();
  private readonly cache = new InstanceCache();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly env: EngineEnvironment;
  /** EventBus deliveries whose failure could not be recorded (the database is away): retried from memory. */
  private readonly held: HeldDeliveries;
  private subscription?: Subscription;
  /** Events handed to `deliver()`: the EventBus subscription leaves them to it; done at commit. */
  private readonly deliveredDirectly = new WeakSet<object>();
  /** Whether any process of this app waits for its commands to leave (computed once routes exist). */
  private awaitsSent: boolean | undefined;

  constructor(
    private readonly buses: CqrsBuses,
    private readonly routes: RoutingTable,
    private readonly steps: StepStore,
    private readonly timers: TimerStore,
    private readonly failureStore: FailureStore,
    private readonly control: ProcessControl,
    private readonly queries: ProcessQueries,
    private readonly dispatcher: OutboxDispatcher,
    private readonly failures: DeliveryFailures,
    private readonly undeliverables: UndeliverableMessages,
    private readonly registry: MessageTypeRegistry,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
  ) {
    this.held = new HeldDeliveries(options.retry, (cause, exception) =>
      this.buses.unhandledExceptions.publish({ cause, exception }),
    );
    this.env = {
      now: () => this.clock.now(),
      newId: randomUUID,
      nameOf: (message) => this.registry.nameOf(message),
    };
    dispatcher.attach(this);
  }

  onApplicationBootstrap(): void {
    this.subscription = this.buses.eventBus
      .pipe(
        filter((event: object) => {
          const type = this.deliveredDirectly.has(event) ? undefined : this.registry.routedNameOf(event);
          return type !== undefined && this.routes.handles(type);
        }),
        mergeMap((event: object) =>
          defer(() => this.track(this.take(event))).pipe(
            catchError((error: unknown) => {
              // Not reached by a failing route (take() holds those); by a bug before any route ran.
              this.logger.error(
                `Could not deliver ${this.registry.nameOf(event)} ${getMetadata(event)?.messageId ?? ''}: ` +
                  describeError(error),
              );
              return EMPTY;
            }),
          ),
        ),
      )
      .subscribe();
  }

  /** Stops taking events, then waits (bounded) for the deliveries in flight. Never throws. */
  async beforeApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    void this.track(this.held.close());
    let timer: NodeJS.Timeout | undefined;
    const drainMs = this.options.shutdownTimeoutMs;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), drainMs)),
    );
    // whenIdle(), not a snapshot: deliveries in flight start more (their dispatches, a re-queued step).
    const result = await Promise.race([this.whenIdle(), timeout]);
    clearTimeout(timer);
    if (result === 'timeout')
      this.logger.warn(
        `Shutdown: ${this.inFlight.size} deliveries still running after ${drainMs} ms are left; ` +
          `their claims lapse and they are delivered again later`,
      );
  }

  /** Resolves once no delivery is running, including those its deliveries caused (test fixtures). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Publishes `event` on the EventBus and resolves once every route of this app took it: its step (or
   * inbox mark) committed, or its failure was recorded for a retry. Rejects when not even that could be
   * written, so a consumer that acks after this never acks a lost event.
   */
  async deliver(event: object): Promise<void> {
    this.deliveredDirectly.add(event);
    this.buses.eventBus.publish(event);
    await this.track(this.handle(event));
  }

  /**
   * Delivers one event to every route that wants it; a failing route never stops the others. Rejects
   * (with the first `DeliveryNotRecordedError`) once all are done if any route's failure went unrecorded.
   */
  async handle(event: object): Promise<void> {
    const metadata = this.metadataOf(event);
    const results = await Promise.allSettled(
      this.routesOf(event).map((route) => this.runRoute(route, event, metadata)),
    );
    const unrecorded = results.find((result) => result.status === 'rejected');
    if (unrecorded) throw unrecorded.reason;
  }

  /** An EventBus event: like `handle()`, but a route whose failure went unrecorded is held and retried. */
  private async take(event: object): Promise<void> {
    const metadata = this.metadataOf(event);
    await Promise.all(
      this.routesOf(event).map((route) =>
        this.runRoute(route, event, metadata).catch((error: unknown) =>
          this.held.hold(error, event, () => this.track(this.runRoute(route, event, metadata))),
        ),
      ),
    );
  }

  private routesOf(event: object): readonly (StatefulRoute | StatelessRoute)[] {
    const type = this.registry.routedNameOf(event); // by class, not by a name another class may share
    return type === undefined ? [] : this.routes.routesFor(type);
  }

  /** Delivers a due timer's message to its own instance; the step's commit removes the timer row. */
  deliverTimer(timer: TimerRecord): Promise<void> {
    return this.track(this.fireTimer(timer));
  }

  private async fireTimer(timer: TimerRecord): Promise<void> {
    const route = this.routes.routeTo(timer.processType, timer.messageType);
    const metadata = { messageId: timer.id, correlationId: timer.processId, occurredAt: timer.dueAt };
    const message = this.registry.fromPayload(timer.messageType, timer.payload, metadata);
    const target = { processId: timer.processId, correlationKey: timer.correlationKey };
    const outcome = route ? await this.runRoute(route, message, metadata, target) : undefined;
    if (!route)
      this.logger.error(
        `${timer.processType} ${timer.processId}: no handler for timer ${timer.messageType}; dropped`,
      );
    // A committed step deleted the row itself; otherwise (duplicate, instance gone, failure kept as a retry) it goes now.
    if (outcome !== 'committed') await this.timers.deleteTimer(timer.id);
  }

  /** Re-runs a failed delivery (a due retry, or an operator's `retry()`). */
  redeliver(failure: FailureRecord): Promise<void> {
    return this.track(this.retryFailure(failure));
  }

  private async retryFailure(failure: FailureRecord): Promise<void> {
    if (isUndeliverable(failure)) return this.undeliverables.retry(failure);
    const message = this.registry.fromPayload(failure.messageType, failure.payload, failure.metadata);
    const route =
      this.routes.routeTo(failure.handler, failure.messageType) ??
      this.routes.statelessRoute(failure.handler, failure.messageType);
    if (!route) {
      this.logger.error(
        `No handler ${failure.handler} for ${failure.messageType} any more; dead letter ${failure.id} kept`,
      );
      return;
    }
    const target =
      failure.processId !== undefined
        ? { processId: failure.processId, correlationKey: failure.correlationKey }
        : undefined;
    const outcome = await this.runRoute(route, message, failure.metadata, target);
    if (outcome === 'failed') return;
    await this.failureStore.resolveFailure(failure.handler, failure.messageId, this.clock.now());
    if (failure.processId && failure.status === 'dead') {
      await this.failureStore.clearLastError(failure.processId, failure.error);
      this.cache.forget(failure.processId);
    }
  }

  /**
   * Records and reports a stuck instance per its process's `onStuck` policy, in line with the
   * instance's other deliveries. False if it moved meanwhile.
   */
  stall(instance: ProcessInstance, idleMs: number): Promise<boolean> {
    return this.track(this.reportStall(instance, idleMs));
  }

  private async reportStall(instance: ProcessInstance, idleMs: number): Promise<boolean> {
    const process = this.routes.process(instance.type);
    if (!process) return false;
    const key = instanceKey(instance.type, instance.correlationKey);
    const decision = await this.queue.run(key, async () => {
      const stalled = decideStall(process, instance, idleMs, this.env);
      try {
        await this.steps.commit(stalled);
      } catch (error) {
        if (error instanceof ConcurrencyConflictError) return undefined;
        throw error;
      } finally {
        this.cache.delete(key);
      }
      if (process.onStuck === 'resend') await this.control.resendLastStep(instance.id, this.clock.now());
      return stalled;
    });
    if (!decision) return false;
    await this.dispatch(decision);
    return true;
  }

  /**
   * Runs an operator's write to one instance (cancel, acknowledge, …) in line with its deliveries in this
   * app, and drops the instance from the cache (the write moved its version).
   */
  async exclusive<T>(processId: string, write: () => Promise<T>): Promise<T> {
    const instance = await this.queries.get(processId);
    if (!instance) return write();
    const key = instanceKey(instance.type, instance.correlationKey);
    return this.track(
      this.queue.run(key, async () => {
        try {
          return await write();
        } finally {
          this.cache.delete(key);
        }
      }),
    );
  }

  /** A command left: its process hears of it if it waits for that (`ProcessDefinition.onCommandSent`). */
  async sent(command: Dispatchable): Promise<void> {
    const { processId, processType } = command;
    this.awaitsSent ??= this.routes.processes.some((process) => process.onCommandSent !== undefined);
    if (!processId || !this.awaitsSent) return;
    if (processType !== undefined && !this.routes.process(processType)?.onCommandSent) return;
    const instance = await this.queries.get(processId);
    const sent = { type: command.type, messageId: command.metadata.messageId };
    const notice = instance && this.routes.process(instance.type)?.onCommandSent?.(instance, sent);
    if (instance && notice) await this.tell(instance, notice, `${sent.messageId}:sent`);
  }

  /**
   * A message whose dispatch attempts ran out, surfaced whatever its process's status: a live sender
   * is told of its command (`CommandDispatchFailed`: its own handler, or the built-in one that fails
   * it); then the message is parked as a dead letter, with `lastError` and `ProcessDeadLettered`.
   */
  async undeliverable(failure: DispatchFailure): Promise<void> {
    const { message, error } = failure;
    let instance = message.processId ? await this.queries.get(message.processId) : null;
    if (instance && isLive(instance.status) && message.kind === 'command') {
      const notice = new CommandDispatchFailed(message.type, message.metadata.messageId, error);
      await this.tell(instance, notice, `${message.metadata.messageId}:dispatch-failed`);
      instance = await this.queries.get(instance.id);
    }
    await this.undeliverables.park(failure, instance);
  }

  /** Delivers a library message to one instance by id, as timers are (deduped by `messageId`). */
  private async tell(instance: ProcessInstance, notice: object, messageId: string): Promise<void> {
    const metadata = { messageId, correlationId: instance.id, occurredAt: this.clock.now() };
    const route = this.routes.routeTo(instance.type, this.registry.nameOf(notice));
    const target = { processId: instance.id, correlationKey: instance.correlationKey };
    if (route) await this.track(this.runRoute(route, withMetadata(notice, metadata), metadata, target));
  }

  /** Runs one route; a failure becomes a retry or a dead letter. */
  private async runRoute(
    route: StatefulRoute | StatelessRoute,
    event: object,
    metadata: MessageMetadata,
    target?: Target,
  ): Promise<Outcome> {
    // What the delivery learnt before failing: the dead letter names the instance it was for.
    const seen: Seen = { processId: target && 'processId' in target ? target.processId : undefined };
    try {
      checkMetadata(route.messageType, metadata);
      if (route.kind === 'stateless') {
        await this.react(route, event, metadata);
        return 'committed';
      }
      const found = target ?? {
        correlationKey: correlate(route, event),
        associationKey: route.associationKey,
      };
      if ('correlationKey' in found) seen.correlationKey = found.correlationKey;
      return await this.runStateful(route, event, metadata, found, seen);
    } catch (error) {
      try {
        await this.failures.record({
          handler: route.kind === 'stateful' ? route.process.name : route.name,
          processId: seen.processId,
          correlationKey: seen.correlationKey,
          message: event,
          metadata,
          error,
        });
      } finally {
        if (seen.processId) this.cache.forget(seen.processId); // a dead letter marks `lastError`
      }
      return 'failed';
    }
  }

  /**
   * A stateful route: serialised per instance inside this app (`instanceKey`), then dispatched after
   * commit. A delivery that only guesses the instance's key (an association value, an id) and finds the
   * instance under another key moves to that key's line before anything is decided, and loads it
   * afresh there (or takes it from the cache): one instance, one line, whatever a delivery was addressed by.
   */
  private async runStateful(
    route: StatefulRoute,
    event: object,
    metadata: MessageMetadata,
    target: Target,
    seen: Seen,
  ): Promise<Outcome> {
    const type = route.process.name;
    let line = instanceKey(type, target.correlationKey ?? (target as { processId: string }).processId);
    let movedTo: string | undefined;
    for (let moves = 0; ; moves++) {
      const queueKey = line;
      const instanceId = movedTo;
      const result = await this.queue.run(queueKey, () =>
        this.step(route, event, metadata, target, seen, queueKey, instanceId),
      );
      if (result.kind === 'skipped') return 'skipped';
      if (result.kind === 'committed') {
        await this.dispatch(result.decision, event);
        return 'committed';
      }
      // An instance keeps its key for life: only an association re-pointed meanwhile moves it twice.
      if (moves >= this.options.conflictRetries)
        throw new ConflictRetriesExhaustedError(type, result.instance.correlationKey, moves + 1);
      line = instanceKey(type, result.instance.correlationKey);
      movedTo = result.instance.id;
    }
  }

  /** Load → decide → commit, re-run from a fresh load when another writer won the race. */
  private async step(
    route: StatefulRoute,
    event: object,
    metadata: MessageMetadata,
    target: Target,
    seen: Seen,
    queueKey: string,
    /** The instance a first load under another line found (the delivery moved here for it). */
    movedTo: string | undefined,
  ): Promise<StepResult> {
    const type = route.process.name;
    const where = `${type} ${'processId' in target ? target.processId : target.correlationKey}`;
    for (let attempt = 1; ; attempt++) {
      const known = attempt === 1 ? this.cached(queueKey, target, movedTo) : undefined;
      const { instance, handled } = known
        ? { instance: known, handled: false } // a duplicate is caught by the commit's inbox key
        : await this.steps.load({
            type,
            correlationKey: 'processId' in target ? '' : target.correlationKey,
            associationKey: 'processId' in target ? undefined : target.associationKey,
            processId: 'processId' in target ? target.processId : undefined,
            messageId: metadata.messageId,
          });
      if (handled) {
        this.logger.debug(`${where}: ${route.messageType} ${metadata.messageId} already handled`);
        return { kind: 'skipped' };
      }
      if (!instance && ('processId' in target || !route.start)) {
        this.onMissingInstance(route, where, metadata);
        return { kind: 'skipped' };
      }
      if (instance && instanceKey(type, instance.correlationKey) !== queueKey)
        return { kind: 'moved', instance };
      if (instance) Object.assign(seen, { processId: instance.id, correlationKey: instance.correlationKey });
      const correlationKey =
        instance?.correlationKey ?? (target as { correlationKey: string }).correlationKey;
      const decision = await this.decideBounded(route, { route, event, metadata, correlationKey, instance });
      try {
        await this.steps.commit(decision);
        if (decision.history.outcome === 'ignored') this.logIgnored(decision, route, metadata);
        if (isLive(decision.instance.status)) this.cache.set(queueKey, decision.instance);
        else this.cache.delete(queueKey);
        return { kind: 'committed', decision };
      } catch (error) {
        this.cache.delete(queueKey);
        if (!(error instanceof ConcurrencyConflictError)) throw error;
        if (attempt > this.options.conflictRetries) {
          throw new ConflictRetriesExhaustedError(route.process.name, correlationKey, attempt);
        }
      }
    }
  }

  /** The instance this app committed last under `queueKey`, when it is the one the delivery means. */
  private cached(queueKey: string, target: Target, movedTo: string | undefined): ProcessInstance | undefined {
    const id = movedTo ?? ('processId' in target ? target.processId : undefined);
    if (id === undefined && !('processId' in target) && target.associationKey) return undefined;
    const instance = this.cache.get(queueKey);
    return instance && (id === undefined || instance.id === id) ? instance : undefined;
  }

  /**
   * The engine's step, bounded by `retry.handlerTimeoutMs`: a hung handler fails this delivery (to be
   * retried) instead of holding its instance's line. Its late result is dropped with its draft.
   */
  private decideBounded(route: StatefulRoute, input: Parameters<typeof decide>[0]): Promise<Decision> {
    const timeoutMs = this.options.retry.handlerTimeoutMs;
    return withTimeout(
      decide(input, this.env),
      timeoutMs,
      () =>
        new HandlerTimeoutError(
          route.process.name,
          `${route.process.className}.${route.methodName}`,
          route.messageType,
          timeoutMs,
        ),
    );
  }

  /**
   * A stateless route: the handler's return value is sent on, linked to the event that caused it.
   * Durable routes dedupe by messageId and commit the messages to the outbox before sending them.
   */
  private async react(route: StatelessRoute, event: object, cause: MessageMetadata): Promise<void> {
    if (route.durable && (await this.steps.hasHandled(route.name, cause.messageId))) return;
    const returned = await route.invoke(event);
    const messages = [returned]
      .flat()
      .filter((message): message is object => typeof message === 'object' && message !== null)
      .map((message, index) => this.outgoing(message, route.name, cause, index));
    if (!route.durable) {
      // No outbox row to retry from: a failed send is the handler's failure (retried, then dead-lettered).
      for (const message of messages) await this.dispatcher.send(message);
      return;
    }
    const records = messages.map(({ message: _message, ...record }) => ({ ...record, processId: null }));
    if (!(await this.steps.commitReaction(route.name, cause.messageId, records, this.clock.now()))) return;
    await this.sendAfterCommit(
      messages.map((message) => ({ ...message, processId: null })),
      event,
    );
  }

  private outgoing(message: object, source: string, cause: MessageMetadata, index: number) {
    return this.registry.toOutgoing(message, {
      messageId: outgoingMessageId(source, cause.messageId, index),
      correlationId: cause.correlationId ?? cause.messageId,
      causationId: cause.messageId,
      occurredAt: this.clock.now(),
    });
  }

  private dispatch({ outgoing, instance }: Decision, cause?: object): Promise<void> {
    return this.sendAfterCommit(
      outgoing.map((message) => ({ ...message, processId: instance.id, processType: instance.type })),
      cause,
    );
  }

  /**
   * Sends a step's committed messages. The delivery waits for them (a poller's tick, a test, sees the
   * step's commands sent), except one handed to `deliver()`: that is done once its step committed, so
   * the outbox row of a dispatched event never waits for the whole chain of what it caused.
   */
  private async sendAfterCommit(messages: readonly Dispatchable[], cause?: object): Promise<void> {
    if (messages.length === 0) return;
    const sending = this.track(this.dispatcher.dispatch(messages));
    if (!cause || !this.deliveredDirectly.has(cause)) await sending;
  }

  private logIgnored(decision: Decision, route: StatefulRoute, metadata: MessageMetadata): void {
    const { type, id, stateName, status } = decision.instance;
    this.logger.log(
      `${type} ${id} (${status}, state ${stateName ?? '(none)'}): ${route.messageType} ${metadata.messageId} ` +
        `ignored: ${decision.history.note}`,
    );
  }

  private onMissingInstance(route: StatefulRoute, where: string, metadata: MessageMetadata): void {
    if (route.onMissing !== 'ignore') {
      throw new NoActiveInstanceError(route.process.name, route.messageType, where, route.onMissing);
    }
    this.logger.warn(`${where}: no active instance for ${route.messageType} ${metadata.messageId}; ignored`);
  }

  /** Events published without metadata get a fresh messageId here, once, shared by every route. */
  private metadataOf(event: object): MessageMetadata {
    const metadata = getMetadata(event);
    if (metadata?.messageId) return metadata;
    return getMetadata(
      withMetadata(event, { messageId: randomUUID(), occurredAt: this.clock.now(), ...metadata }),
    )!;
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }
}
