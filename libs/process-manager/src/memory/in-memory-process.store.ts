import type { Decision } from '../engine/decision.js';
import {
  holdsCorrelationKey,
  isLive,
  type ProcessHistoryEntry,
  type ProcessInstance,
} from '../kernel/process-instance.js';
import { ConcurrencyConflictError } from '../errors/index.js';
import { decodeCursor, encodeCursor, listLimit } from '../ports/list-cursor.js';
import type { FailureStore } from '../ports/failure-store.js';
import type { OutboxStore } from '../ports/outbox-store.js';
import type { ProcessControl } from '../ports/process-control.js';
import type { ProcessQueries } from '../ports/process-queries.js';
import type {
  ClaimedOutboxRecord,
  DeadLetterQuery,
  FailureRecord,
  ListQuery,
  Loaded,
  LoadQuery,
  OutboxRecord,
  TimerRecord,
} from '../ports/records.js';
import type { StepStore } from '../ports/step-store.js';
import type { TimerStore } from '../ports/timer-store.js';

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

/** Mirrors DISPATCH_LEASE_MS of the SQL store. */
const DISPATCH_LEASE_MS = 30_000;

/**
 * The store for users' unit tests: the same rules as PostgreSQL (version check, one active instance
 * per key, inbox), kept in maps. Each commit is synchronous, hence atomic.
 */
export class InMemoryProcessStore
  implements StepStore, OutboxStore, TimerStore, FailureStore, ProcessQueries, ProcessControl
{
  private readonly processes = new Map<string, ProcessInstance>();
  /** Every instance id ever created for a (type, correlation key). */
  private readonly idsByKey = new Map<string, string[]>();
  private readonly histories = new Map<string, ProcessHistoryEntry[]>();
  private readonly inbox = new Set<string>();
  private readonly associations: { type: string; key: string; value: string; processId: string }[] = [];
  private readonly stalled = new Set<string>();
  private readonly failures = new Map<string, FailureRecord>();
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
        .find(holdsCorrelationKey);
    return { instance: instance ? clone(instance) : null, handled };
  }

  async commit(decision: Decision): Promise<void> {
    const { instance } = decision;
    const current = this.processes.get(instance.id);
    const versionOk = decision.isNew ? !current : current?.version === decision.expectedVersion;
    const keyTaken = decision.isNew && this.activeByKey(instance.type, instance.correlationKey) !== undefined;
    const duplicate = this.inbox.has(pairKey(instance.type, decision.inbox.messageId));
    if (!versionOk || keyTaken || duplicate) throw new ConcurrencyConflictError(instance.id);

    this.processes.set(instance.id, clone(instance));
    if (decision.isNew) {
      const key = pairKey(instance.type, instance.correlationKey);
      this.idsByKey.set(key, [...(this.idsByKey.get(key) ?? []), instance.id]);
    }
    this.inbox.add(pairKey(instance.type, decision.inbox.messageId));
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
    this.inbox.add(pairKey(handler, messageId));
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

  async claimOutbox(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedOutboxRecord[]> {
    const due = [...this.outbox.values()]
      .filter((row) => !row.dispatchedAt && !row.failedAt && row.availableAt <= now)
      .sort((a, b) => a.availableAt.getTime() - b.availableAt.getTime())
      .slice(0, limit);
    for (const row of due) row.availableAt = leaseUntil;
    return due.map(({ processId, kind, type, payload, metadata, attempts }) =>
      clone({ processId, kind, type, payload, metadata, attempts }),
    );
  }

  async claimDueTimers(now: Date, leaseUntil: Date, limit: number): Promise<TimerRecord[]> {
    const due = [...this.timers.values()]
      .filter((timer) => timer.dueAt <= now && (!timer.lockedUntil || timer.lockedUntil <= now))
      .sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())
      .slice(0, limit);
    for (const timer of due) timer.lockedUntil = leaseUntil;
    return due.map(({ lockedUntil: _lockedUntil, ...timer }) => clone(timer));
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
    this.failures.set(
      key,
      clone({
        ...failure,
        id: existing?.id ?? failure.id,
        processId: failure.processId ?? existing?.processId,
        firstFailedAt: existing?.firstFailedAt ?? failure.firstFailedAt,
      }),
    );
  }

  async resolveFailure(handler: string, messageId: string): Promise<void> {
    this.failures.delete(pairKey(handler, messageId));
  }

  async claimDueRetries(now: Date, leaseUntil: Date, limit: number): Promise<FailureRecord[]> {
    const due = [...this.failures.values()]
      .filter(
        (failure) => failure.status === 'retrying' && failure.nextAttemptAt && failure.nextAttemptAt <= now,
      )
      .sort((a, b) => a.nextAttemptAt!.getTime() - b.nextAttemptAt!.getTime())
      .slice(0, limit);
    for (const failure of due) failure.nextAttemptAt = leaseUntil;
    return due.map(clone);
  }

  async deadLetters(query: DeadLetterQuery): Promise<FailureRecord[]> {
    return [...this.failures.values()]
      .filter((failure) => failure.status === 'dead')
      .filter((failure) => query.processId === undefined || failure.processId === query.processId)
      .filter((failure) => query.id === undefined || failure.id === query.id)
      .sort((a, b) => a.firstFailedAt.getTime() - b.firstFailedAt.getTime())
      .slice(0, listLimit(query.limit))
      .map(clone);
  }

  async setLastError(processId: string, error: string): Promise<void> {
    const instance = this.processes.get(processId);
    if (instance) instance.lastError = error;
  }

  async clearLastError(processId: string, error: string): Promise<void> {
    const instance = this.processes.get(processId);
    if (instance?.lastError === error) instance.lastError = undefined;
  }

  async findStalled(idleSince: Date, limit: number): Promise<ProcessInstance[]> {
    const busy = (id: string) =>
      [...this.timers.values()].some((timer) => timer.processId === id) ||
      [...this.outbox.values()].some((row) => row.processId === id && !row.dispatchedAt && !row.failedAt) ||
      [...this.failures.values()].some(
        (failure) => failure.processId === id && failure.status === 'retrying',
      );
    return [...this.processes.values()]
      .filter((p) => isLive(p.status) && !this.stalled.has(p.id) && p.updatedAt <= idleSince && !busy(p.id))
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, limit)
      .map(clone);
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
          (query.type === undefined || p.type === query.type) && (!statuses || statuses.includes(p.status)),
      )
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : -1))
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

  async acknowledgeFailure(processId: string, at: Date): Promise<boolean> {
    const instance = this.processes.get(processId);
    if (!instance || instance.status !== 'failed' || instance.acknowledgedAt) return false;
    Object.assign(instance, { acknowledgedAt: at, updatedAt: at, version: instance.version + 1 });
    this.appendMarker(instance, 'acknowledged', at, undefined);
    return true;
  }

  async cancel(processId: string, reason: string | undefined, at: Date): Promise<boolean> {
    const instance = this.processes.get(processId);
    if (!instance || (instance.status !== 'running' && instance.status !== 'compensating')) return false;
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

  private appendMarker(
    instance: ProcessInstance,
    outcome: 'acknowledged' | 'cancelled',
    at: Date,
    note?: string,
  ): void {
    this.appendHistory(instance.id, {
      seq: instance.version,
      processId: instance.id,
      messageType: outcome === 'cancelled' ? 'ProcessManager.Cancel' : 'ProcessManager.AcknowledgeFailure',
      messageId: `${outcome}:${instance.version}`,
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

/** `type` + `key` as one map key (inbox, failures, correlation). */
function pairKey(type: string, key: string): string {
  return `${type}\u0000${key}`;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
