import { Injectable } from '@nestjs/common';
import { RoutingTable } from '../definition/routing-table.js';
import type { ProcessStatus } from '../kernel/process-context.js';
import type { ProcessHistoryEntry, ProcessInstance, ProcessSummary } from '../kernel/process-instance.js';
import {
  DeadLetterNotFoundError,
  InvalidProcessStatusError,
  ProcessNotFoundError,
  UnknownProcessTypeError,
} from '../errors/index.js';
import { isLive } from '../kernel/process-instance.js';
import { ProcessCancelRequested } from '../events/system-messages.js';
import {
  decodeDeadLetterCursor,
  encodeDeadLetterCursor,
  listLimit,
  MAX_LIST_LIMIT,
} from '../ports/list-cursor.js';
import { checkCorrelationKey, checkListQuery, checkText } from './argument-checks.js';
import { FailureStore } from '../ports/failure-store.js';
import { ProcessControl } from '../ports/process-control.js';
import { ProcessQueries } from '../ports/process-queries.js';
import type { DeadLetter, DeadLetterPage, FailureRecord, ListQuery } from '../ports/records.js';
import { OutboxRelay } from '../scheduling/outbox.relay.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { Clock } from '../kernel/clock.js';
import { stateDiagram } from './state-diagram.js';
import { type OrphanedState, ProcessVersions } from './process-versions.js';
import type { ReplayReport } from '../engine/replay.js';
import { auditNote, type OperatorAudit, type PendingTimer } from './operator-audit.js';
import { OperatorRepairs } from './operator-repairs.js';
import type { DeadLetterFilter, PendingOutboxRow } from '../ports/operator-store.js';
import type { ProcessOverview } from './process-overview.js';

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
    private readonly repairs: OperatorRepairs,
    private readonly versions: ProcessVersions,
  ) {}

  get(processId: string): Promise<ProcessInstance | null> {
    return this.queries.get(processId);
  }

  /** The active instance (running, compensating, or failed and unacknowledged) for a key. */
  async find(type: string, correlationKey: string): Promise<ProcessInstance | null> {
    checkText('find()', 'type', type);
    return this.queries.find(type, checkCorrelationKey('find()', correlationKey));
  }

  /**
   * Newest first; pass `nextCursor` back as `cursor` for the next page. Filters: type, status (one or
   * several), stateName, correlationKey (in any status), updatedBefore. `state: false` lists summaries:
   * the instances without their state, which the store then does not even read.
   */
  list(query: ListQuery & { state: false }): Promise<{ items: ProcessSummary[]; nextCursor?: string }>;
  list(query?: ListQuery): Promise<{ items: ProcessInstance[]; nextCursor?: string }>;
  async list(query: ListQuery = {}): Promise<{ items: ProcessSummary[]; nextCursor?: string }> {
    const page = await this.queries.list(checkListQuery(query));
    if (query.state !== false) return page;
    return { ...page, items: page.items.map(({ state: _state, ...summary }) => summary) };
  }

  /** Every step of an instance, ordered by seq. */
  history(processId: string): Promise<ProcessHistoryEntry[]> {
    return this.queries.history(processId);
  }

  /** Frees the correlation key of a failed instance so a new one can start; `audit` goes in its history. */
  async acknowledgeFailure(processId: string, audit?: Partial<OperatorAudit>): Promise<void> {
    const note = auditNote(audit);
    const write = () => this.control.acknowledgeFailure(processId, this.clock.now(), note);
    if (await this.runner.exclusive(processId, write)) return;
    throw await this.whyNot(processId, 'acknowledge');
  }

  /**
   * Ends a running or compensating instance as cancelled; its timers are dropped. An orchestrated saga
   * compensates first (it is sent `ProcessCancelRequested` and ends `cancelled` once undone); pass
   * `compensate: false` to end it at once, releasing nothing.
   */
  async cancel(
    processId: string,
    reason?: string,
    audit?: Pick<OperatorAudit, 'actor'> & { compensate?: boolean },
  ): Promise<void> {
    checkText('cancel()', 'reason', reason, true);
    checkText('cancel()', 'the actor', audit?.actor, true);
    if (audit?.compensate !== false && (await this.requestCancel(processId, reason, audit?.actor))) return;
    const note = auditNote({ reason, actor: audit?.actor });
    const write = () => this.control.cancel(processId, note, this.clock.now());
    if (await this.runner.exclusive(processId, write)) return;
    throw await this.whyNot(processId, 'cancel');
  }

  /**
   * Re-runs the instance's dead-lettered deliveries, oldest first. With none, a live instance's last
   * step is re-dispatched (same messageIds, so receivers dedupe): the cure for a stuck instance.
   */
  async retry(processId: string, audit?: Partial<OperatorAudit>): Promise<void> {
    const instance = await this.queries.get(processId);
    if (!instance) throw new ProcessNotFoundError(processId);
    const deadLetters = await this.allDeadLetters(processId);
    if (deadLetters.length === 0 && !isLive(instance.status))
      throw new InvalidProcessStatusError(processId, 'retry', instance.status);
    await this.control.recordRetry(processId, auditNote(audit, retried(deadLetters))!, this.clock.now());
    for (const deadLetter of deadLetters) await this.runner.redeliver(deadLetter);
    if (deadLetters.length === 0) {
      await this.control.resendLastStep(processId, this.clock.now());
      await this.relay.tickOnce();
    }
  }

  /**
   * Re-runs one dead letter by its id — the way to retry a stateless handler's delivery, which has no
   * process id. Gone on success; on failure it stays dead with the new error.
   */
  async retryDeadLetter(deadLetterId: string, audit?: Partial<OperatorAudit>): Promise<void> {
    const [deadLetter] = await this.failures.deadLetters({ id: deadLetterId, limit: 1 });
    if (!deadLetter) throw new DeadLetterNotFoundError(deadLetterId);
    if (deadLetter.processId !== undefined)
      await this.control.recordRetry(
        deadLetter.processId,
        auditNote(audit, retried([deadLetter]))!,
        this.clock.now(),
      );
    await this.runner.redeliver(deadLetter);
  }

  /** The instance's pending timers, soonest first. */
  timers(processId: string): Promise<PendingTimer[]> {
    return this.repairs.timers(processId);
  }

  /** Moves a live instance's named timer to `at`; history keeps who, why and the new due time. */
  rescheduleTimer(processId: string, name: string, at: Date, audit?: Partial<OperatorAudit>): Promise<void> {
    return this.repairs.rescheduleTimer(processId, name, at, audit);
  }

  /** Delivers a live instance's named timer now, through the timers' path (deduped, in the instance's line). */
  fireTimer(processId: string, name: string, audit?: Partial<OperatorAudit>): Promise<void> {
    return this.repairs.fireTimer(processId, name, audit);
  }

  /** Drops a live instance's named timer without delivering it. */
  cancelTimer(processId: string, name: string, audit?: Partial<OperatorAudit>): Promise<void> {
    return this.repairs.cancelTimer(processId, name, audit);
  }

  /**
   * Replaces a live instance's state (validated like a step's); `audit.reason` is required, and history
   * keeps the diff of old → new with it.
   */
  editState(processId: string, state: object, audit: OperatorAudit): Promise<void> {
    return this.repairs.editState(processId, state, audit);
  }

  /** Moves a live instance to the named state `stateName`, state unchanged; `audit.reason` is required. */
  forceTransition(processId: string, stateName: string, audit: OperatorAudit): Promise<void> {
    return this.repairs.forceTransition(processId, stateName, audit);
  }

  /** How many open dead letters match `filter`: what `retryDeadLetters(filter)` would re-run. */
  countDeadLetters(filter: DeadLetterFilter = {}): Promise<number> {
    return this.repairs.countDeadLetters(filter);
  }

  /**
   * Re-runs every open dead letter matching `filter` (handler type, message type, part of the error),
   * oldest first, each as `retryDeadLetter` does; those that fail again stay dead with the new error.
   */
  async retryDeadLetters(
    filter: DeadLetterFilter = {},
    audit?: Partial<OperatorAudit>,
  ): Promise<{ retried: number }> {
    const deadLetters = await this.repairs.matchingDeadLetters(filter);
    for (const deadLetter of deadLetters) {
      if (deadLetter.processId !== undefined)
        await this.control.recordRetry(
          deadLetter.processId,
          auditNote(audit, retried([deadLetter]))!,
          this.clock.now(),
        );
      await this.runner.redeliver(deadLetter);
    }
    return { retried: deadLetters.length };
  }

  /** The instance's outbox rows not sent yet (waiting for the relay, or failed for good). */
  pendingOutbox(processId: string): Promise<PendingOutboxRow[]> {
    return this.repairs.pendingOutbox(processId);
  }

  /**
   * Deliveries whose attempts ran out, oldest first; all of them, or one instance's. A page holds
   * `limit` (default 50, at most 500); when more follow, the array's `nextCursor` (not enumerated, so
   * the page stays a plain array for JSON and equality) is passed back as `cursor` for the next page.
   */
  async deadLetters(
    query: { limit?: number; processId?: string; cursor?: string } = {},
  ): Promise<DeadLetterPage> {
    const limit = listLimit(query.limit, 'deadLetters()');
    checkText('deadLetters()', 'processId', query.processId, true);
    const after = query.cursor === undefined ? undefined : decodeDeadLetterCursor(query.cursor);
    const { processId } = query;
    const page: DeadLetterPage = await this.failures.deadLetters({ processId, limit, after });
    const last = page.at(-1);
    if (page.length < limit || !last) return page;
    const more = await this.failures.deadLetters({ processId, limit: 1, after: last });
    if (more.length > 0) {
      const nextCursor = encodeDeadLetterCursor(last);
      Object.defineProperty(page, 'nextCursor', { value: nextCursor, enumerable: false });
    }
    return page;
  }

  /** Every dead letter of an instance, page after page. */
  private async allDeadLetters(processId: string): Promise<FailureRecord[]> {
    const all: FailureRecord[] = [];
    let page = await this.failures.deadLetters({ processId, limit: MAX_LIST_LIMIT });
    all.push(...page);
    while (page.length === MAX_LIST_LIMIT) {
      page = await this.failures.deadLetters({ processId, limit: MAX_LIST_LIMIT, after: page.at(-1) });
      all.push(...page);
    }
    return all;
  }

  /**
   * Every registered process type with its instances that hold a key (running, compensating, failed
   * and unacknowledged), those reported stuck and its open dead letters. Reads only those rows, so it
   * stays quick however many finished instances the table keeps.
   */
  async overview(): Promise<ProcessOverview> {
    const [active, deadLetters] = await Promise.all([
      this.queries.countActive(),
      this.failures.countDeadLetters(),
    ]);
    const types = this.routes.processes.map(({ name }) => {
      const of = (status: ProcessStatus) =>
        active.find((count) => count.type === name && count.status === status);
      return {
        type: name,
        running: of('running')?.count ?? 0,
        compensating: of('compensating')?.count ?? 0,
        failed: of('failed')?.count ?? 0,
        stalled: (of('running')?.stalled ?? 0) + (of('compensating')?.stalled ?? 0),
        deadLetters: deadLetters.find((count) => count.handler === name)?.count ?? 0,
      };
    });
    const known = new Set(types.map((type) => type.type));
    return { types, otherDeadLetters: deadLetters.filter((count) => !known.has(count.handler)) };
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

  /**
   * Replays the instance's recorded inputs through the current code (pure: nothing committed or sent)
   * and reports the first step whose state, named state, status or messages differ from the record.
   */
  verify(processId: string): Promise<ReplayReport> {
    return this.versions.verify(processId);
  }

  /** `verify()` for the newest `limit` (default 100) instances of a type: a pre-deploy check. */
  verifyAll(query: { type: string; limit?: number }): Promise<ReplayReport[]> {
    return this.versions.verifyAll(query);
  }

  /** Live instances resting in a named state that no handler of their process runs in any more. */
  orphanedStates(): Promise<OrphanedState[]> {
    return this.versions.orphanedStates();
  }

  /** Mermaid `stateDiagram-v2` built from the `from` / `to` of the process's handlers. */
  diagram(type: string): string {
    const process = this.routes.process(type);
    if (!process) throw new UnknownProcessTypeError(type);
    return stateDiagram(process);
  }

  /** Asks a live instance whose process handles `ProcessCancelRequested` to cancel itself; false if none does. */
  private async requestCancel(processId: string, reason?: string, actor?: string): Promise<boolean> {
    const instance = await this.queries.get(processId);
    if (!instance || !isLive(instance.status)) return false;
    const outcome = await this.runner.request(instance, new ProcessCancelRequested(reason, actor));
    if (outcome === 'skipped') throw await this.whyNot(processId, 'cancel');
    return outcome !== undefined;
  }

  private async whyNot(processId: string, operation: string): Promise<Error> {
    const instance = await this.queries.get(processId);
    if (!instance) return new ProcessNotFoundError(processId);
    const status = instance.acknowledgedAt ? `${instance.status} and already acknowledged` : instance.status;
    return new InvalidProcessStatusError(processId, operation, status);
  }
}

/** What a retry re-runs, for its history row. */
function retried(deadLetters: readonly DeadLetter[]): string {
  if (deadLetters.length === 0) return "Retry: the last step's commands re-sent";
  const types = [...new Set(deadLetters.map((letter) => letter.messageType))].join(', ');
  return `Retry of ${deadLetters.length} dead letter${deadLetters.length === 1 ? '' : 's'} (${types})`;
}
