import type { Decision } from '../../engine/decision.js';
import {
  holdsCorrelationKey,
  type ProcessHistoryEntry,
  type ProcessInstance,
} from '../../engine/process-instance.js';
import { ConcurrencyConflictError } from '../../errors/index.js';
import { decodeCursor, encodeCursor, listLimit } from '../list-cursor.js';
import {
  type ListQuery,
  type Loaded,
  type LoadQuery,
  type OutboxRecord,
  ProcessStore,
} from '../process.store.js';

interface StoredOutbox extends OutboxRecord {
  dispatchedAt?: Date;
  attempts: number;
  lastError?: string;
}

interface StoredTimer {
  id: string;
  processId: string;
  name: string | undefined;
  dueAt: Date;
  messageType: string;
  payload: Record<string, unknown>;
}

/**
 * The store for users' unit tests: the same rules as PostgreSQL (version check, one active instance
 * per key, inbox), kept in maps. Each commit is synchronous, hence atomic.
 */
export class InMemoryProcessStore extends ProcessStore {
  private readonly processes = new Map<string, ProcessInstance>();
  private readonly histories = new Map<string, ProcessHistoryEntry[]>();
  private readonly inbox = new Set<string>();
  private readonly associations: { type: string; key: string; value: string; processId: string }[] = [];
  readonly outbox = new Map<string, StoredOutbox>();
  readonly timers = new Map<string, StoredTimer>();

  async load(query: LoadQuery): Promise<Loaded> {
    const handled = this.inbox.has(inboxKey(query.type, query.messageId));
    const instance =
      this.activeByKey(query.type, query.correlationKey) ??
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
    const duplicate = this.inbox.has(inboxKey(instance.type, decision.inbox.messageId));
    if (!versionOk || keyTaken || duplicate) throw new ConcurrencyConflictError(instance.id);

    this.processes.set(instance.id, clone(instance));
    this.inbox.add(inboxKey(instance.type, decision.inbox.messageId));
    this.appendHistory(instance.id, { ...decision.history, seq: instance.version, processId: instance.id });
    for (const message of decision.outgoing) {
      this.outbox.set(message.metadata.messageId, { ...message, processId: instance.id, attempts: 0 });
    }
    for (const { key, value } of decision.associations) {
      this.associations.push({ type: instance.type, key, value, processId: instance.id });
    }
    this.applyTimers(decision);
  }

  async enqueue(records: OutboxRecord[]): Promise<void> {
    for (const record of records) this.outbox.set(record.metadata.messageId, { ...record, attempts: 0 });
  }

  async markDispatched(messageIds: string[], at: Date): Promise<void> {
    for (const id of messageIds) {
      const row = this.outbox.get(id);
      if (row) row.dispatchedAt = at;
    }
  }

  async markDispatchFailed(messageId: string, error: string): Promise<void> {
    const row = this.outbox.get(messageId);
    if (row) Object.assign(row, { attempts: row.attempts + 1, lastError: error });
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
    return [...this.processes.values()].find(
      (p) => p.type === type && p.correlationKey === correlationKey && holdsCorrelationKey(p),
    );
  }

  private applyTimers(decision: Decision): void {
    const processId = decision.instance.id;
    const drop = (predicate: (timer: StoredTimer) => boolean) => {
      for (const [id, timer] of this.timers)
        if (timer.processId === processId && predicate(timer)) this.timers.delete(id);
    };
    if (decision.timers.cancelAll) drop(() => true);
    const replaced = [...decision.timers.cancelled, ...decision.timers.scheduled.map((t) => t.name)];
    drop((timer) => timer.name !== undefined && replaced.includes(timer.name));
    for (const timer of decision.timers.scheduled) this.timers.set(timer.id, { ...timer, processId });
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
    this.histories.set(processId, [...(this.histories.get(processId) ?? []), clone(entry)]);
  }
}

function inboxKey(type: string, messageId: string): string {
  return `${type}\u0000${messageId}`;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}
