import type { Decision } from '../engine/decision.js';
import {
  holdsCorrelationKey,
  isLive,
  type ProcessHistoryEntry,
  type ProcessInstance,
} from '../kernel/process-instance.js';
import {
  DISPATCH_LEASE_MS,
  HELD_UNTIL_ACKNOWLEDGED_STATUSES,
  MARKERS,
  markerMessageId,
  type MarkerOutcome,
} from '../ports/store-rules.js';
import { ConcurrencyConflictError } from '../errors/index.js';
import { decodeCursor, encodeCursor, listLimit } from '../ports/list-cursor.js';
import type { FailureStore } from '../ports/failure-store.js';
import type { HealthFigures, HealthQueries } from '../ports/health-queries.js';
import type { TelemetryFigures } from '../ports/telemetry-queries.js';
import type { RetentionStore } from '../ports/retention-store.js';
import type { OutboxStore } from '../ports/outbox-store.js';
import type { ProcessControl } from '../ports/process-control.js';
import type { ProcessQueries } from '../ports/process-queries.js';
import type {
  DeadLetterFilter,
  OperatorStore,
  PendingOutboxRow,
  StatePatch,
} from '../ports/operator-store.js';
import type {
  ActiveCount,
  ClaimedOutboxRecord,
  ClaimScope,
  DeadLetterQuery,
  FailureRecord,
  ListQuery,
  Loaded,
  LoadQuery,
  Lease,
  OutboxRecord,
  TimerRecord,
  UnclaimableWork,
} from '../ports/records.js';
import type { StepStore } from '../ports/step-store.js';
import type { TimerStore } from '../ports/timer-store.js';
import { clonePlainJson } from '../kernel/plain-json.js';

interface StoredOutbox extends OutboxRecord {
  createdAt: Date;
  availableAt: Date;
  dispatchedAt?: Date;
  failedAt?: Date;
  attempts: number;
  lastError?: string;
}

interface StoredTimer extends TimerRecord {
  lockedUntil?: Date;
}

/**
 * The store for users' unit tests: the same rules as PostgreSQL (version check, one active instance
 * per key, inbox, timers, leases; see ports/store-rules.ts and the contract suite in test/contract),
 * kept in maps. Each method runs without awaiting, hence atomically.
 */
export class InMemoryProcessStore
  implements
    StepStore,
    OutboxStore,
    TimerStore,
    FailureStore,
    ProcessQueries,
    ProcessControl,
    RetentionStore,
    HealthQueries,
    OperatorStore
{
  private readonly processes = new Map<string, ProcessInstance>();
  /** Every instance id ever created for a (type, correlation key). */
  private readonly idsByKey = new Map<string, string[]>();
  private readonly histories = new Map<string, ProcessHistoryEntry[]>();
  /** Inbox marks, each with the time it was handled (for retention). */
  private readonly inbox = new Map<string, Date>();
  private readonly associations: { type: string; key: string; value: string; processId: string }[] = [];
  private readonly stalled = new Set<string>();
  private readonly failures = new Map<string, FailureRecord>();
  /** Dead letters that were retried with success, by id, until retention deletes them. */
  private readonly resolvedDeadLetters = new Map<string, { deadLetter: FailureRecord; resolvedAt: Date }>();
  readonly outbox = new Map<string, StoredOutbox>();
  readonly timers = new Map<string, StoredTimer>();

  async load(query: LoadQuery): Promise<Loaded> {
    const handled = this.inbox.has(pairKey(query.type, query.messageId));
    if (query.processId !== undefined) {
      const instance = this.processes.get(query.processId);
      return { instance: instance?.type === query.type ? clone(instance) : null, handled };
    }
    const instance =
      (query.associationKey === undefined ? this.activeByKey(query.type, query.correlationKey) : undefined) ??
      this.associations
        .filter((a) => a.type === query.type && a.value === query.correlationKey)
        .filter((a) => query.associationKey === undefined || a.key === query.associationKey)
        .map((a) => this.processes.get(a.processId)!)
        .filter(holdsCorrelationKey)
        // A value several instances associated goes to the one started first (as LOAD_SQL orders them).
        .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || compareIds(a.id, b.id))[0];
    return { instance: instance ? clone(instance) : null, handled };
  }

  async commit(decision: Decision): Promise<void> {
    const { instance } = decision;
    const current = this.processes.get(instance.id);
    const versionOk = decision.isNew
      ? !current && decision.expectedVersion === 0
      : current?.version === decision.expectedVersion &&
        current.type === instance.type &&
        current.correlationKey === instance.correlationKey;
    const keyTaken = decision.isNew && this.activeByKey(instance.type, instance.correlationKey) !== undefined;
    const duplicate =
      this.inbox.has(pairKey(instance.type, decision.inbox.messageId)) ||
      decision.outgoing.some(({ metadata }) => this.outbox.has(metadata.messageId));
    if (!versionOk || keyTaken || duplicate) throw new ConcurrencyConflictError(instance.id);

    this.processes.set(instance.id, clone(instance));
    if (decision.isNew) {
      const key = pairKey(instance.type, instance.correlationKey);
      this.idsByKey.set(key, [...(this.idsByKey.get(key) ?? []), instance.id]);
    }
    this.inbox.set(pairKey(instance.type, decision.inbox.messageId), instance.updatedAt);
    this.appendHistory(instance.id, { ...decision.history, seq: instance.version, processId: instance.id });
    if (decision.history.outcome === 'stalled') this.stalled.add(instance.id);
    else this.stalled.delete(instance.id);
    this.enqueueAt(
      decision.outgoing.map(({ kind, type, payload, metadata }) => ({
        kind,
        type,
        payload,
        metadata,
        processId: instance.id,
      })),
      instance.updatedAt,
    );
    for (const { key, value } of decision.associations) {
      this.associations.push({ type: instance.type, key, value, processId: instance.id });
    }
    this.applyTimers(decision);
  }

  async enqueue(records: OutboxRecord[], at: Date): Promise<void> {
    this.enqueueAt(records, at);
  }

  async commitReaction(
    handler: string,
    messageId: string,
    records: OutboxRecord[],
    at: Date,
  ): Promise<boolean> {
    if (this.inbox.has(pairKey(handler, messageId))) return false;
    this.inbox.set(pairKey(handler, messageId), at);
    this.enqueueAt(records, at);
    return true;
  }

  async hasHandled(handler: string, messageId: string): Promise<boolean> {
    return this.inbox.has(pairKey(handler, messageId));
  }

  async markDispatched(messageIds: string[], at: Date): Promise<void> {
    for (const id of messageIds) {
      const row = this.outbox.get(id);
      if (row) row.dispatchedAt = at;
    }
  }

  async markDispatchFailed(messageId: string, error: string, retryAt: Date | null, now: Date): Promise<void> {
    const row = this.outbox.get(messageId);
    if (!row) return;
    Object.assign(row, { attempts: row.attempts + 1, lastError: error });
    if (retryAt) row.availableAt = retryAt;
    else row.failedAt = now;
  }

  async claimOutbox(
    now: Date,
    leaseUntil: Date,
    limit: number,
    scope?: ClaimScope,
  ): Promise<ClaimedOutboxRecord[]> {
    const due = [...this.outbox.values()]
      .filter((row) => !row.dispatchedAt && !row.failedAt && row.availableAt <= now)
      .filter((row) => !scope || this.outboxInScope(row, scope))
      .sort(
        (a, b) =>
          a.availableAt.getTime() - b.availableAt.getTime() || a.createdAt.getTime() - b.createdAt.getTime(),
      )
      .slice(0, limit);
    for (const row of due) row.availableAt = leaseUntil;
    return due.map(({ processId, kind, type, payload, metadata, attempts }) =>
      clone({ processId, kind, type, payload, metadata, attempts }),
    );
  }

  async claimDueTimers(
    now: Date,
    leaseUntil: Date,
    limit: number,
    scope?: ClaimScope,
  ): Promise<TimerRecord[]> {
    const due = [...this.timers.values()]
      .filter((timer) => timer.dueAt <= now && (!timer.lockedUntil || timer.lockedUntil <= now))
      .filter((timer) => !scope || routed(scope, timer.processType, timer.messageType))
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
      .slice(0, limit);
    for (const timer of due) timer.lockedUntil = leaseUntil;
    return due.map(({ lockedUntil: _lockedUntil, ...timer }) => {
      const correlationKey = this.processes.get(timer.processId)?.correlationKey;
      return clone(correlationKey === undefined ? timer : { ...timer, correlationKey });
    });
  }

  async extendTimerLeases(held: readonly Lease[], leaseUntil: Date): Promise<void> {
    for (const { id, until } of held) {
      const timer = this.timers.get(id);
      if (timer?.lockedUntil?.getTime() === until.getTime()) timer.lockedUntil = leaseUntil;
    }
  }

  async deleteTimer(timerId: string): Promise<void> {
    this.timers.delete(timerId);
  }

  async failureAttempts(handler: string, messageId: string): Promise<number> {
    return this.failures.get(pairKey(handler, messageId))?.attempts ?? 0;
  }

  async recordFailure(failure: FailureRecord): Promise<void> {
    const key = pairKey(failure.handler, failure.messageId);
    const existing = this.failures.get(key);
    // A repeat keeps what identifies the delivery (as the SQL upsert does) and takes the new outcome.
    const { status, attempts, error, stack, lastFailedAt, nextAttemptAt } = failure;
    this.failures.set(
      key,
      clone(
        existing
          ? {
              ...existing,
              ...{ status, attempts, error, stack, lastFailedAt, nextAttemptAt },
              processId: failure.processId ?? existing.processId,
            }
          : failure,
      ),
    );
  }

  async resolveFailure(handler: string, messageId: string, at: Date): Promise<void> {
    const failure = this.failures.get(pairKey(handler, messageId));
    this.failures.delete(pairKey(handler, messageId));
    if (failure?.status === 'dead')
      this.resolvedDeadLetters.set(failure.id, { deadLetter: failure, resolvedAt: at });
  }

  async claimDueRetries(
    now: Date,
    leaseUntil: Date,
    limit: number,
    scope?: ClaimScope,
  ): Promise<FailureRecord[]> {
    const due = [...this.failures.values()]
      .filter(
        (failure) => failure.status === 'retrying' && failure.nextAttemptAt && failure.nextAttemptAt <= now,
      )
      .filter((failure) => !scope || routed(scope, failure.handler, failure.messageType))
      .sort((a, b) => a.nextAttemptAt!.getTime() - b.nextAttemptAt!.getTime())
      .slice(0, limit);
    for (const failure of due) failure.nextAttemptAt = leaseUntil;
    return due.map(clone);
  }

  async extendRetryLeases(held: readonly Lease[], leaseUntil: Date): Promise<void> {
    const byId = new Map([...this.failures.values()].map((failure) => [failure.id, failure]));
    for (const { id, until } of held) {
      const failure = byId.get(id);
      if (failure?.status === 'retrying' && failure.nextAttemptAt?.getTime() === until.getTime())
        failure.nextAttemptAt = leaseUntil;
    }
  }

  async deadLetters(query: DeadLetterQuery): Promise<FailureRecord[]> {
    return [...this.failures.values()]
      .filter((failure) => failure.status === 'dead')
      .filter((failure) => query.processId === undefined || failure.processId === query.processId)
      .filter((failure) => query.id === undefined || failure.id === query.id)
      .sort((a, b) => a.firstFailedAt.getTime() - b.firstFailedAt.getTime() || compareIds(a.id, b.id))
      .filter(({ firstFailedAt, id }) => {
        const after = query.after;
        const time = after ? firstFailedAt.getTime() - after.firstFailedAt.getTime() : 1;
        return time > 0 || (time === 0 && compareIds(id, after!.id) > 0);
      })
      .slice(0, listLimit(query.limit))
      .map(clone);
  }

  async countDeadLetters(): Promise<{ handler: string; count: number }[]> {
    const counts = new Map<string, number>();
    for (const failure of this.failures.values())
      if (failure.status === 'dead') counts.set(failure.handler, (counts.get(failure.handler) ?? 0) + 1);
    return [...counts].map(([handler, count]) => ({ handler, count }));
  }

  async setLastError(processId: string, error: string): Promise<void> {
    const instance = this.processes.get(processId);
    if (instance) instance.lastError = error;
  }

  async clearLastError(processId: string, error: string): Promise<void> {
    const instance = this.processes.get(processId);
    if (instance?.lastError === error) instance.lastError = undefined;
  }

  async findStalled(
    idleSince: Date,
    overdueSince: Date,
    limit: number,
    types?: readonly string[],
  ): Promise<ProcessInstance[]> {
    const pending = (due: Date | undefined) => due !== undefined && due > overdueSince;
    const busy = (id: string) =>
      [...this.timers.values()].some((timer) => timer.processId === id && pending(timer.dueAt)) ||
      [...this.outbox.values()].some(
        (row) => row.processId === id && !row.dispatchedAt && !row.failedAt && pending(row.availableAt),
      ) ||
      [...this.failures.values()].some(
        (failure) =>
          failure.processId === id && failure.status === 'retrying' && pending(failure.nextAttemptAt),
      );
    return [...this.processes.values()]
      .filter((p) => isLive(p.status) && !this.stalled.has(p.id) && p.updatedAt <= idleSince && !busy(p.id))
      .filter((p) => !types || types.includes(p.type))
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, limit)
      .map(clone);
  }

  async findUnclaimable(overdueSince: Date, scope: ClaimScope, limit: number): Promise<UnclaimableWork[]> {
    const found = [
      ...[...this.timers.values()]
        .filter(
          (timer) => timer.dueAt <= overdueSince && !routed(scope, timer.processType, timer.messageType),
        )
        .slice(0, limit)
        .map((timer) => ({
          kind: 'timer' as const,
          handler: timer.processType,
          messageType: timer.messageType,
        })),
      ...[...this.failures.values()]
        .filter(
          (failure) =>
            failure.status === 'retrying' &&
            failure.nextAttemptAt !== undefined &&
            failure.nextAttemptAt <= overdueSince &&
            !routed(scope, failure.handler, failure.messageType),
        )
        .slice(0, limit)
        .map((failure) => ({
          kind: 'retry' as const,
          handler: failure.handler,
          messageType: failure.messageType,
        })),
      ...[...this.outbox.values()]
        .filter(
          (row) =>
            !row.dispatchedAt &&
            !row.failedAt &&
            row.availableAt <= overdueSince &&
            !this.outboxInScope(row, scope),
        )
        .slice(0, limit)
        .map((row) => ({
          kind: 'outbox' as const,
          handler: row.processId ? this.processes.get(row.processId)?.type : undefined,
          messageType: row.type,
        })),
    ];
    const counted = new Map<string, UnclaimableWork>();
    for (const work of found) {
      const key = [work.kind, work.handler ?? '', work.messageType].join('\u0000');
      const entry = counted.get(key) ?? { ...work, count: 0 };
      entry.count++;
      counted.set(key, entry);
    }
    return [...counted.values()];
  }

  /** A row this app can rebuild, not written by a process type it does not run. */
  private outboxInScope(row: StoredOutbox, scope: ClaimScope): boolean {
    const writer = row.processId ? this.processes.get(row.processId)?.type : undefined;
    return (
      scope.messageTypes.includes(row.type) && (writer === undefined || scope.processTypes.includes(writer))
    );
  }

  async resendLastStep(processId: string, now: Date): Promise<number> {
    const last = this.histories
      .get(processId)
      ?.filter((entry) => entry.outcome === 'handled')
      .at(-1);
    const rows = [...this.outbox.values()].filter(
      (row) =>
        row.processId === processId && row.kind === 'command' && row.metadata.causationId === last?.messageId,
    );
    for (const row of rows)
      Object.assign(row, { dispatchedAt: undefined, failedAt: undefined, availableAt: now });
    return rows.length;
  }

  async get(processId: string): Promise<ProcessInstance | null> {
    const instance = this.processes.get(processId);
    return instance ? clone(instance) : null;
  }

  async getMany(processIds: readonly string[]): Promise<ProcessInstance[]> {
    return [...new Set(processIds)].flatMap((id) => {
      const instance = this.processes.get(id);
      return instance ? [clone(instance)] : [];
    });
  }

  async find(type: string, correlationKey: string): Promise<ProcessInstance | null> {
    const instance = this.activeByKey(type, correlationKey);
    return instance ? clone(instance) : null;
  }

  async list(query: ListQuery): Promise<{ items: ProcessInstance[]; nextCursor?: string }> {
    const statuses = query.status === undefined ? undefined : [query.status].flat();
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const limit = listLimit(query.limit);
    const matching = [...this.processes.values()]
      .filter(
        (p) =>
          (query.type === undefined || p.type === query.type) &&
          (!statuses || statuses.includes(p.status)) &&
          (query.stateName === undefined || p.stateName === query.stateName) &&
          (query.correlationKey === undefined ||
            p.correlationKey === query.correlationKey ||
            this.associations.some((a) => a.processId === p.id && a.value === query.correlationKey)) &&
          (query.updatedBefore === undefined || p.updatedAt.getTime() < query.updatedBefore.getTime()),
      )
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || compareIds(b.id, a.id))
      .filter(
        (p) =>
          !after ||
          p.startedAt.getTime() < after.startedAt.getTime() ||
          (p.startedAt.getTime() === after.startedAt.getTime() && p.id < after.id),
      );
    const items = matching.slice(0, limit).map(clone);
    const last = items.at(-1);
    return matching.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  async history(processId: string): Promise<ProcessHistoryEntry[]> {
    return clone(this.histories.get(processId) ?? []);
  }

  async countActive(): Promise<ActiveCount[]> {
    const counts = new Map<string, ActiveCount>();
    for (const instance of this.processes.values()) {
      if (!holdsCorrelationKey(instance)) continue;
      const key = pairKey(instance.type, instance.status);
      const count = counts.get(key) ?? { type: instance.type, status: instance.status, count: 0, stalled: 0 };
      count.count += 1;
      if (this.stalled.has(instance.id)) count.stalled += 1;
      counts.set(key, count);
    }
    return [...counts.values()];
  }

  async countLiveByState(): Promise<{ type: string; stateName: string; count: number }[]> {
    const counts = new Map<string, { type: string; stateName: string; count: number }>();
    for (const instance of this.processes.values()) {
      if (!isLive(instance.status) || instance.stateName === undefined) continue;
      const key = pairKey(instance.type, instance.stateName);
      const count = counts.get(key) ?? { type: instance.type, stateName: instance.stateName, count: 0 };
      count.count += 1;
      counts.set(key, count);
    }
    return [...counts.values()];
  }

  async acknowledgeFailure(processId: string, at: Date, note?: string): Promise<boolean> {
    const instance = this.processes.get(processId);
    if (!instance || !HELD_UNTIL_ACKNOWLEDGED_STATUSES.includes(instance.status) || instance.acknowledgedAt) {
      return false;
    }
    Object.assign(instance, { acknowledgedAt: at, updatedAt: at, version: instance.version + 1 });
    this.appendMarker(instance, 'acknowledged', at, note);
    return true;
  }

  async cancel(processId: string, reason: string | undefined, at: Date): Promise<boolean> {
    const instance = this.processes.get(processId);
    if (!instance || !isLive(instance.status)) return false;
    Object.assign(instance, {
      status: 'cancelled',
      updatedAt: at,
      completedAt: at,
      version: instance.version + 1,
    });
    this.appendMarker(instance, 'cancelled', at, reason);
    for (const [id, timer] of this.timers) if (timer.processId === processId) this.timers.delete(id);
    return true;
  }

  async recordRetry(processId: string, note: string, at: Date): Promise<boolean> {
    const instance = this.processes.get(processId);
    if (!instance) return false;
    Object.assign(instance, { updatedAt: at, version: instance.version + 1 });
    this.appendMarker(instance, 'retried', at, note);
    return true;
  }

  async deleteInboxMarks(before: Date, limit: number): Promise<number> {
    const old = [...this.inbox].filter(([, handledAt]) => handledAt < before);
    return deleteOldest(old, limit, ([key]) => this.inbox.delete(key));
  }

  async deleteDispatchedOutbox(before: Date, limit: number): Promise<number> {
    const old = [...this.outbox]
      .filter(([, row]) => row.dispatchedAt !== undefined && row.dispatchedAt < before)
      .map(([id, row]) => [id, row.dispatchedAt!] as const);
    return deleteOldest(old, limit, ([id]) => this.outbox.delete(id));
  }

  async deleteResolvedDeadLetters(before: Date, limit: number): Promise<number> {
    const old = [...this.resolvedDeadLetters]
      .filter(([, { resolvedAt }]) => resolvedAt < before)
      .map(([id, { resolvedAt }]) => [id, resolvedAt] as const);
    return deleteOldest(old, limit, ([id]) => this.resolvedDeadLetters.delete(id));
  }

  async deleteFinishedProcesses(before: Date, limit: number): Promise<number> {
    // Completed or cancelled: since it ended; failed: since it was acknowledged; live: never.
    const finishedAt = ({ status, completedAt, acknowledgedAt }: ProcessInstance) =>
      HELD_UNTIL_ACKNOWLEDGED_STATUSES.includes(status)
        ? acknowledgedAt
        : isLive(status)
          ? undefined
          : completedAt;
    const pending = new Set([
      ...[...this.outbox.values()]
        .filter((row) => !row.dispatchedAt && !row.failedAt)
        .map((row) => row.processId),
      ...[...this.failures.values()].map((failure) => failure.processId),
    ]);
    const old = [...this.processes.values()]
      .map((instance) => [instance, finishedAt(instance)] as const)
      .filter((row): row is readonly [ProcessInstance, Date] => row[1] !== undefined && row[1] < before)
      .filter(([instance]) => !pending.has(instance.id));
    return deleteOldest(old, limit, ([instance]) => this.deleteProcess(instance));
  }

  /** The instance with what cascades from it in PostgreSQL: history, associations, timers. */
  private deleteProcess({ id, type, correlationKey }: ProcessInstance): void {
    this.processes.delete(id);
    this.histories.delete(id);
    this.stalled.delete(id);
    const key = pairKey(type, correlationKey);
    const others = (this.idsByKey.get(key) ?? []).filter((other) => other !== id);
    if (others.length > 0) this.idsByKey.set(key, others);
    else this.idsByKey.delete(key);
    for (let i = this.associations.length - 1; i >= 0; i--)
      if (this.associations[i]!.processId === id) this.associations.splice(i, 1);
    for (const [timerId, timer] of this.timers) if (timer.processId === id) this.timers.delete(timerId);
  }

  async telemetryFigures(now: Date): Promise<TelemetryFigures> {
    const pendingOutbox = [...this.outbox.values()].filter(
      (row) => !row.dispatchedAt && !row.failedAt,
    ).length;
    return { ...(await this.healthFigures(now)), pendingOutbox, instances: await this.countActive() };
  }

  async healthFigures(now: Date, scope?: ClaimScope): Promise<HealthFigures> {
    const earliest = (dates: Date[]) =>
      dates.length === 0 ? undefined : new Date(Math.min(...dates.map((date) => date.getTime())));
    return {
      oldestPendingOutboxAt: earliest(
        [...this.outbox.values()]
          .filter((row) => !row.dispatchedAt && !row.failedAt && (!scope || this.outboxInScope(row, scope)))
          .map((row) => row.createdAt),
      ),
      oldestDueTimerAt: earliest(
        [...this.timers.values()]
          .filter(
            (timer) => timer.dueAt <= now && (!scope || routed(scope, timer.processType, timer.messageType)),
          )
          .map((timer) => timer.dueAt),
      ),
      openDeadLetters: [...this.failures.values()].filter((failure) => failure.status === 'dead').length,
    };
  }

  private activeByKey(type: string, correlationKey: string): ProcessInstance | undefined {
    return (this.idsByKey.get(pairKey(type, correlationKey)) ?? [])
      .map((id) => this.processes.get(id)!)
      .find(holdsCorrelationKey);
  }

  private enqueueAt(records: OutboxRecord[], createdAt: Date): void {
    const availableAt = new Date(createdAt.getTime() + DISPATCH_LEASE_MS);
    for (const record of records) {
      if (this.outbox.has(record.metadata.messageId)) continue;
      this.outbox.set(record.metadata.messageId, { ...clone(record), createdAt, availableAt, attempts: 0 });
    }
  }

  private applyTimers(decision: Decision): void {
    const processId = decision.instance.id;
    const drop = (predicate: (timer: StoredTimer) => boolean) => {
      for (const [id, timer] of this.timers)
        if (timer.processId === processId && predicate(timer)) this.timers.delete(id);
    };
    if (decision.timers.cancelAll) drop(() => true);
    const replaced = [...decision.timers.cancelled, ...decision.timers.scheduled.map((t) => t.name)];
    drop(
      (timer) =>
        (timer.name !== undefined && replaced.includes(timer.name)) || timer.id === decision.inbox.messageId,
    );
    for (const timer of decision.timers.scheduled) {
      this.timers.set(timer.id, { ...clone(timer), processId, processType: decision.instance.type });
    }
  }

  async pendingTimers(processId: string): Promise<TimerRecord[]> {
    return [...this.timers.values()]
      .filter((timer) => timer.processId === processId)
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || compareIds(a.id, b.id))
      .map(({ lockedUntil: _lockedUntil, ...timer }) => clone(timer));
  }

  async rescheduleTimer(
    processId: string,
    name: string,
    dueAt: Date,
    note: string,
    at: Date,
  ): Promise<boolean> {
    const timer = this.liveTimer(processId, name);
    if (!timer) return false;
    Object.assign(timer, { dueAt, lockedUntil: undefined });
    this.appendRepair(processId, this.processes.get(processId)!.stateName, note, at);
    return true;
  }

  async cancelTimer(processId: string, name: string, note: string, at: Date): Promise<boolean> {
    const timer = this.liveTimer(processId, name);
    if (!timer) return false;
    this.timers.delete(timer.id);
    this.appendRepair(processId, this.processes.get(processId)!.stateName, note, at);
    return true;
  }

  async claimTimerNow(
    processId: string,
    name: string,
    leaseUntil: Date,
    note: string,
    at: Date,
  ): Promise<TimerRecord | undefined> {
    const timer = this.liveTimer(processId, name);
    if (!timer || (timer.lockedUntil && timer.lockedUntil > at)) return undefined;
    Object.assign(timer, { dueAt: at, lockedUntil: leaseUntil });
    this.appendRepair(processId, this.processes.get(processId)!.stateName, note, at);
    const { lockedUntil: _lockedUntil, ...claimed } = timer;
    return clone({ ...claimed, correlationKey: this.processes.get(processId)!.correlationKey });
  }

  async repairState(
    processId: string,
    expectedVersion: number,
    patch: StatePatch,
    note: string,
    at: Date,
  ): Promise<boolean> {
    const instance = this.processes.get(processId);
    if (!instance || !isLive(instance.status) || instance.version !== expectedVersion) return false;
    const fromState = instance.stateName;
    if (patch.state !== undefined) instance.state = clone(patch.state);
    if (patch.stateName !== undefined) instance.stateName = patch.stateName;
    this.appendRepair(processId, fromState, note, at);
    return true;
  }

  async pendingOutbox(processId: string): Promise<PendingOutboxRow[]> {
    return [...this.outbox]
      .filter(([, row]) => row.processId === processId && row.dispatchedAt === undefined)
      .sort(([a, x], [b, y]) => x.createdAt.getTime() - y.createdAt.getTime() || compareIds(a, b))
      .map(([id, row]) =>
        clone({
          id,
          kind: row.kind,
          type: row.type,
          payload: row.payload,
          createdAt: row.createdAt,
          attempts: row.attempts,
          ...(row.lastError !== undefined && { lastError: row.lastError }),
          ...(row.failedAt !== undefined && { failedAt: row.failedAt }),
        }),
      );
  }

  async matchingDeadLetters(
    filter: DeadLetterFilter,
    limit: number,
    after?: { firstFailedAt: Date; id: string },
  ): Promise<FailureRecord[]> {
    return this.deadLettersMatching(filter)
      .filter(({ firstFailedAt, id }) => {
        const time = after ? firstFailedAt.getTime() - after.firstFailedAt.getTime() : 1;
        return time > 0 || (time === 0 && compareIds(id, after!.id) > 0);
      })
      .slice(0, limit)
      .map(clone);
  }

  async countMatchingDeadLetters(filter: DeadLetterFilter): Promise<number> {
    return this.deadLettersMatching(filter).length;
  }

  private deadLettersMatching(filter: DeadLetterFilter): FailureRecord[] {
    const part = filter.errorContains?.toLowerCase();
    return [...this.failures.values()]
      .filter(
        (failure) =>
          failure.status === 'dead' &&
          (filter.type === undefined || failure.handler === filter.type) &&
          (filter.messageType === undefined || failure.messageType === filter.messageType) &&
          (part === undefined || failure.error.toLowerCase().includes(part)),
      )
      .sort((a, b) => a.firstFailedAt.getTime() - b.firstFailedAt.getTime() || compareIds(a.id, b.id));
  }

  /** A named timer of a live instance. */
  private liveTimer(processId: string, name: string): StoredTimer | undefined {
    const instance = this.processes.get(processId);
    if (!instance || !isLive(instance.status)) return undefined;
    return [...this.timers.values()].find((timer) => timer.processId === processId && timer.name === name);
  }

  /** A repair's new version and history row; `fromState`: the named state before it. */
  private appendRepair(processId: string, fromState: string | undefined, note: string, at: Date): void {
    const instance = this.processes.get(processId)!;
    Object.assign(instance, { updatedAt: at, version: instance.version + 1 });
    this.appendHistory(processId, {
      seq: instance.version,
      processId,
      messageType: MARKERS.repaired.messageType,
      messageId: markerMessageId('repaired', instance.version),
      outcome: 'repaired',
      fromState,
      toState: instance.stateName,
      status: instance.status,
      commands: [],
      at,
      note,
      // The state it leaves, so that replay (`verify()`) can follow the repair.
      state: clone(instance.state),
      stateVersion: instance.stateVersion,
    });
  }

  private appendMarker(instance: ProcessInstance, outcome: MarkerOutcome, at: Date, note?: string): void {
    this.appendHistory(instance.id, {
      seq: instance.version,
      processId: instance.id,
      messageType: MARKERS[outcome].messageType,
      messageId: markerMessageId(outcome, instance.version),
      outcome,
      fromState: instance.stateName,
      toState: instance.stateName,
      status: instance.status,
      commands: [],
      at,
      note,
    });
  }

  private appendHistory(processId: string, entry: ProcessHistoryEntry): void {
    const history = this.histories.get(processId) ?? [];
    history.push(clone(entry));
    this.histories.set(processId, history);
  }
}

/** Deletes the `limit` oldest of `rows` (each with its age's date) with `remove`; returns how many. */
function deleteOldest<T extends readonly [unknown, Date]>(
  rows: T[],
  limit: number,
  remove: (row: T) => void,
): number {
  const oldest = rows.sort((a, b) => a[1].getTime() - b[1].getTime()).slice(0, limit);
  oldest.forEach(remove);
  return oldest.length;
}

/** `type` + `key` as one map key (inbox, failures, correlation). */
function routed(scope: ClaimScope, handler: string, messageType: string): boolean {
  return scope.routes.some((route) => route.handler === handler && route.messageType === messageType);
}

function pairKey(type: string, key: string): string {
  return `${type}\u0000${key}`;
}

/** Uuids compare as PostgreSQL compares them (bytewise, i.e. as lower-case hex text). */
function compareIds(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What the store keeps and hands out is a copy, as a database's rows are (plain JSON, Dates as themselves). */
function clone<T>(value: T): T {
  return clonePlainJson(value);
}
