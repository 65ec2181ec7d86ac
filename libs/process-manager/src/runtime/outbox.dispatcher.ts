import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { DispatchAbandonedError, DispatchTimeoutError } from '../errors/index.js';
import { OutboxStore } from '../ports/outbox-store.js';
import { ProcessTelemetry } from '../telemetry/process-telemetry.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { backoffDelay } from '../kernel/backoff.js';
import { Clock } from '../kernel/clock.js';
import { describeError } from '../kernel/describe-error.js';
import { CqrsBuses } from './cqrs-buses.js';
import { DispatchMarker } from './dispatch-marker.js';
import type { Dispatchable, DispatchFailure, LocalDelivery } from './dispatchable.js';
import type { MessageTransport } from './message-transport.js';
import { escapeText } from './failure-record.js';
import { ABANDONED, settlesWithin, ShutdownSignal, withTimeout } from './timeout.js';

/** Instances whose messages one `dispatch()` sends at the same time. */
const CONCURRENT_INSTANCES = 16;

/**
 * Sends committed outbox messages to where they go, and marks each one dispatched once its receiver
 * has it: a command once its handler returned, an event once every route of this app that takes it
 * committed its step or inbox mark (or recorded its failure for a retry). A send that throws or runs
 * past `outbox.dispatchTimeoutMs` is recorded on its row (attempts, last_error, when to try again) and
 * left for the relay; when its attempts run out, the runner surfaces it.
 */
@Injectable()
export class OutboxDispatcher implements BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private readonly marker = new DispatchMarker(
    (ids) => this.store.markDispatched(ids, this.clock.now()),
    (error, ids, retried) =>
      this.logger.warn(
        `Could not mark ${ids.length} outbox row(s) dispatched (${errorText(error)}); ` +
          (retried
            ? 'the relay re-sends them'
            : 'retrying with the next write, else the relay re-sends them'),
      ),
  );
  private local: LocalDelivery | undefined;
  private readonly transports: MessageTransport[] = [];
  private readonly running = new Set<Promise<unknown>>();
  /** Fires when the app has shut down: from then on nothing waits for a receiver or bookkeeping any more. */
  private readonly shutDown = new ShutdownSignal();

  constructor(
    private readonly buses: CqrsBuses,
    private readonly store: OutboxStore,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    private readonly telemetry: ProcessTelemetry,
  ) {}

  /** The runner attaches itself at construction (see `LocalDelivery`). */
  attach(local: LocalDelivery): void {
    this.local = local;
  }

  /** A transport module registers itself at init: messages of the types it publishes leave through it. */
  useTransport(transport: MessageTransport): void {
    this.transports.push(transport);
  }

  /**
   * Sends `messages` and marks those that went through. One instance's messages go in order, one after
   * another; different instances' go side by side (a bounded number at a time), so a hung receiver
   * holds up only its own instance. Never rejects: a failed send is recorded for the relay, and
   * bookkeeping that cannot be written is logged and left to the relay.
   * @returns how many were sent
   */
  async dispatch(messages: readonly Dispatchable[]): Promise<number> {
    let sent = 0;
    await inParallel(byInstance(messages), CONCURRENT_INSTANCES, async (group) => {
      sent += await this.dispatchInOrder(group);
    });
    return sent;
  }

  /**
   * Sends one message and waits for its receiver, at most `outbox.dispatchTimeoutMs`; rejects when it
   * failed. Records nothing: for messages without an outbox row (non-durable reactions).
   */
  send(message: Dispatchable): Promise<void> {
    return this.bounded(message, this.destination(message));
  }

  /**
   * Waits (bounded) for the dispatches in flight, then abandons the rest: their rows stay as they are
   * and the relay sends them after their lease lapses. Never throws. Runs after the hooks of the jobs
   * and the runner, which depend on the dispatcher, have had their own wait.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const graceMs = Math.min(this.options.shutdownTimeoutMs, this.options.outbox.dispatchTimeoutMs);
    await settlesWithin(this.idle(), graceMs);
    if (this.running.size > 0)
      this.logger.warn(
        `Shutdown: ${this.running.size} dispatch(es) still running after ${graceMs} ms are left to the relay`,
      );
    this.shutDown.fire();
  }

  /**
   * Where a message goes, decided in this one place: a command to its transport when one publishes its
   * type, else to the CommandBus; an event to this app's routes and, when a transport publishes its
   * type, to the broker as well (both must succeed for the row to be done).
   */
  private async destination(outgoing: Dispatchable): Promise<void> {
    const { kind, type, message } = outgoing;
    const transport = this.transports.find((candidate) => candidate.publishes(type));
    if (kind === 'command') {
      await (transport ? transport.publish(outgoing) : this.buses.commandBus.execute(message));
      return;
    }
    if (!this.local) throw new Error('OutboxDispatcher: no ProcessRunner attached to deliver events to');
    await Promise.all([this.local.deliver(message), transport?.publish(outgoing)]);
  }

  private async dispatchInOrder(messages: readonly Dispatchable[]): Promise<number> {
    const sent: string[] = [];
    for (const message of messages) {
      if (await this.dispatchOne(message)) sent.push(message.metadata.messageId);
    }
    // pg-pool never answers a query it queued as its pool ended: no wait on bookkeeping after shutdown.
    await this.shutDown.orAbandoned(this.marker.mark(sent));
    return sent.length;
  }

  /** True once its receiver has it; otherwise the failure is recorded on its row (abandoned: left as is). */
  private dispatchOne(message: Dispatchable): Promise<boolean> {
    return this.telemetry.dispatch(message, () => this.sendOne(message));
  }

  private async sendOne(message: Dispatchable): Promise<boolean> {
    try {
      await this.send(message);
      if (message.kind === 'command' && this.local) await this.bounded(message, this.local.sent(message));
      return true;
    } catch (error) {
      if (!(error instanceof DispatchAbandonedError)) await this.failed(message, error);
      return false;
    }
  }

  private async failed(message: Dispatchable, error: unknown): Promise<void> {
    const id = message.metadata.messageId;
    const attempts = (message.attempts ?? 0) + 1;
    const text = errorText(error);
    this.telemetry.dispatchFailed(message, error);
    let givingUp = attempts >= this.options.retry.maxAttempts;
    this.logger.error(
      `Dispatch of ${message.kind} ${message.type} ${id} (process ${message.processId ?? message.metadata.correlationId ?? '-'}) ` +
        `failed, attempt ${attempts}${givingUp ? ', giving up' : ''}: ${text}`,
    );
    if (givingUp) givingUp = await this.surface({ message, error: text, attempts });
    const now = this.clock.now();
    const retryAt = givingUp ? null : new Date(now.getTime() + backoffDelay(attempts, this.options.retry));
    try {
      await this.shutDown.orAbandoned(this.store.markDispatchFailed(id, text, retryAt, now));
    } catch (writeError) {
      this.logger.warn(
        `Could not record the failed dispatch of ${message.type} ${id} (${errorText(writeError)}); the relay re-sends it`,
      );
    }
  }

  /** False when not even that could be recorded: the row then stays with the relay, which tries again. */
  private async surface(failure: DispatchFailure): Promise<boolean> {
    try {
      await this.local?.undeliverable(failure);
      return true;
    } catch (error) {
      this.logger.error(
        `Could not record that ${failure.message.type} ${failure.message.metadata.messageId} cannot be ` +
          `dispatched (${errorText(error)}); the relay tries again`,
      );
      return false;
    }
  }

  private async bounded(message: Dispatchable, work: Promise<unknown>): Promise<void> {
    const { kind, type, metadata } = message;
    const timeoutMs = this.options.outbox.dispatchTimeoutMs;
    const timed = withTimeout(
      work,
      timeoutMs,
      () => new DispatchTimeoutError(kind, type, metadata.messageId, timeoutMs),
    );
    const settled = this.shutDown.orAbandoned(timed).then((outcome) => {
      if (outcome === ABANDONED) throw new DispatchAbandonedError(type, metadata.messageId);
    });
    this.running.add(settled);
    try {
      await settled;
    } finally {
      this.running.delete(settled);
    }
  }

  private async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}

/** One line for the log and the row's last_error, whatever was thrown (escaped: PostgreSQL refuses NUL). */
function errorText(error: unknown): string {
  return escapeText(describeError(error));
}

/** Messages grouped by the instance (else the conversation) they belong to, each group in order. */
function byInstance(messages: readonly Dispatchable[]): Dispatchable[][] {
  const groups = new Map<string, Dispatchable[]>();
  for (const message of messages) {
    const key = message.processId ?? message.metadata.correlationId ?? message.metadata.messageId;
    const group = groups.get(key);
    if (group) group.push(message);
    else groups.set(key, [message]);
  }
  return [...groups.values()];
}

/** Runs `work` for every item, at most `limit` at a time. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
