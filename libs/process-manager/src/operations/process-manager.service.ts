import { Injectable } from '@nestjs/common';
import { RoutingTable } from '../definition/routing-table.js';
import type { ProcessStatus } from '../kernel/process-context.js';
import type { ProcessHistoryEntry, ProcessInstance } from '../kernel/process-instance.js';
import {
  DeadLetterNotFoundError,
  InvalidProcessStatusError,
  ProcessNotFoundError,
  UnknownProcessTypeError,
} from '../errors/index.js';
import { isLive } from '../kernel/process-instance.js';
import { MAX_LIST_LIMIT } from '../ports/list-cursor.js';
import { FailureStore } from '../ports/failure-store.js';
import { ProcessControl } from '../ports/process-control.js';
import { ProcessQueries } from '../ports/process-queries.js';
import type { DeadLetter } from '../ports/records.js';
import { OutboxRelay } from '../scheduling/outbox.relay.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { Clock } from '../kernel/clock.js';
import { stateDiagram } from './state-diagram.js';

/** Inspect and operate process instances: the API behind dashboards and runbooks. */
@Injectable()
export class ProcessManagerService {
  constructor(
    private readonly queries: ProcessQueries,
    private readonly control: ProcessControl,
    private readonly failures: FailureStore,
    private readonly routes: RoutingTable,
    private readonly runner: ProcessRunner,
    private readonly relay: OutboxRelay,
    private readonly clock: Clock,
  ) {}

  get(processId: string): Promise<ProcessInstance | null> {
    return this.queries.get(processId);
  }

  /** The active instance (running, compensating, or failed and unacknowledged) for a key. */
  find(type: string, correlationKey: string): Promise<ProcessInstance | null> {
    return this.queries.find(type, correlationKey);
  }

  /** Newest first; pass `nextCursor` back as `cursor` for the next page. */
  list(
    query: { type?: string; status?: ProcessStatus | ProcessStatus[]; limit?: number; cursor?: string } = {},
  ): Promise<{ items: ProcessInstance[]; nextCursor?: string }> {
    return this.queries.list(query);
  }

  /** Every step of an instance, ordered by seq. */
  history(processId: string): Promise<ProcessHistoryEntry[]> {
    return this.queries.history(processId);
  }

  /** Frees the correlation key of a failed instance so a new one can start. */
  async acknowledgeFailure(processId: string): Promise<void> {
    if (await this.control.acknowledgeFailure(processId, this.clock.now())) return;
    throw await this.whyNot(processId, 'acknowledge');
  }

  /** Ends a running or compensating instance as cancelled; its timers are dropped. */
  async cancel(processId: string, reason?: string): Promise<void> {
    if (await this.control.cancel(processId, reason, this.clock.now())) return;
    throw await this.whyNot(processId, 'cancel');
  }

  /**
   * Re-runs the instance's dead-lettered deliveries, oldest first. With none, a live instance's last
   * step is re-dispatched (same messageIds, so receivers dedupe): the cure for a stuck instance.
   */
  async retry(processId: string): Promise<void> {
    const instance = await this.queries.get(processId);
    if (!instance) throw new ProcessNotFoundError(processId);
    const deadLetters = await this.failures.deadLetters({ processId, limit: MAX_LIST_LIMIT });
    for (const deadLetter of deadLetters) await this.runner.redeliver(deadLetter);
    if (deadLetters.length === 0) {
      if (!isLive(instance.status)) throw new InvalidProcessStatusError(processId, 'retry', instance.status);
      await this.control.resendLastStep(processId, this.clock.now());
      await this.relay.tickOnce();
    }
  }

  /**
   * Re-runs one dead letter by its id — the way to retry a stateless handler's delivery, which has no
   * process id. Gone on success; on failure it stays dead with the new error.
   */
  async retryDeadLetter(deadLetterId: string): Promise<void> {
    const [deadLetter] = await this.failures.deadLetters({ id: deadLetterId, limit: 1 });
    if (!deadLetter) throw new DeadLetterNotFoundError(deadLetterId);
    await this.runner.redeliver(deadLetter);
  }

  /** Deliveries whose attempts ran out, oldest first. */
  deadLetters(query: { limit?: number } = {}): Promise<DeadLetter[]> {
    return this.failures.deadLetters(query);
  }

  /**
   * Publishes `event` on the EventBus and resolves once every process manager and durable reaction of
   * this app has taken it (step committed, or failure recorded for retry); rejects when it could not be
   * recorded at all. For consumers that acknowledge a message only after it is safe (a broker, a queue
   * table): attach the message's own id first with `withMetadata(event, { messageId })` so a
   * redelivery is deduped.
   */
  deliver(event: object): Promise<void> {
    return this.runner.deliver(event);
  }

  /** Mermaid `stateDiagram-v2` built from the `from` / `to` of the process's handlers. */
  diagram(type: string): string {
    const process = this.routes.process(type);
    if (!process) throw new UnknownProcessTypeError(type);
    return stateDiagram(process);
  }

  private async whyNot(processId: string, operation: string): Promise<Error> {
    const instance = await this.queries.get(processId);
    if (!instance) return new ProcessNotFoundError(processId);
    const status = instance.acknowledgedAt ? `${instance.status} and already acknowledged` : instance.status;
    return new InvalidProcessStatusError(processId, operation, status);
  }
}
