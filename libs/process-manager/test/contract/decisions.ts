import { randomUUID } from 'node:crypto';
import type { Decision, ScheduledTimer } from '../../src/engine/decision.js';
import type { ProcessStatus } from '../../src/kernel/process-context.js';
import { isLive, type ProcessInstance } from '../../src/kernel/process-instance.js';
import type { MessageKind, OutgoingMessage } from '../../src/kernel/outgoing-message.js';
import type { FailureRecord, OutboxRecord } from '../../src/ports/records.js';

/**
 * Decisions built by hand, shaped as the engine shapes them (history mirrors the instance, outgoing
 * messages are caused by the inbox message and correlated to the instance, an ended instance drops its
 * timers), so that a contract test says exactly what it commits.
 */

export const T0 = new Date('2030-01-01T00:00:00.000Z');

/** `T0` plus `seconds`. */
export function at(seconds: number): Date {
  return new Date(T0.getTime() + seconds * 1000);
}

export const uuid = (): string => randomUUID();

/** A correlation value no other test uses. */
export function key(prefix = 'k'): string {
  return `${prefix}-${randomUUID()}`;
}

export interface MessageSpec {
  kind?: MessageKind;
  type?: string;
  payload?: Record<string, unknown>;
  messageId?: string;
}

export interface TimerSpec {
  id?: string;
  name?: string;
  dueAt: Date;
  messageType?: string;
  payload?: Record<string, unknown>;
}

export interface StepSpec {
  /** Inbox message id (a fired timer's id when the step handles it). */
  messageId?: string;
  messageType?: string;
  at?: Date;
  status?: ProcessStatus;
  stateName?: string;
  state?: object;
  lastError?: string;
  outcome?: 'handled' | 'ignored' | 'stalled';
  note?: string;
  send?: MessageSpec[];
  associate?: { key: string; value: string }[];
  schedule?: TimerSpec[];
  cancel?: string[];
}

export interface StartSpec extends StepSpec {
  id?: string;
  type?: string;
  key?: string;
}

/** The first step of a new instance (version 1). */
export function start(spec: StartSpec = {}): Decision {
  const now = spec.at ?? T0;
  const before: ProcessInstance = {
    id: spec.id ?? uuid(),
    type: spec.type ?? 'order',
    correlationKey: spec.key ?? key(),
    status: 'running',
    stateName: undefined,
    state: {},
    version: 0,
    stateVersion: 1,
    startedAt: now,
    updatedAt: now,
  };
  return decision(before, true, spec);
}

/** The next step of `instance` (as committed), expecting its version. */
export function next(instance: ProcessInstance, spec: StepSpec = {}): Decision {
  return decision(instance, false, spec);
}

function decision(before: ProcessInstance, isNew: boolean, spec: StepSpec): Decision {
  const now = spec.at ?? before.updatedAt;
  const messageId = spec.messageId ?? uuid();
  const status = spec.status ?? before.status;
  const ended = !isLive(status);
  const instance: ProcessInstance = {
    ...before,
    status,
    stateName: spec.stateName ?? before.stateName,
    state: spec.state ?? before.state,
    lastError: spec.lastError ?? before.lastError,
    version: before.version + 1,
    updatedAt: now,
    completedAt: ended ? (before.completedAt ?? now) : before.completedAt,
  };
  const outgoing: OutgoingMessage[] = (spec.send ?? []).map((message) => ({
    kind: message.kind ?? 'command',
    type: message.type ?? 'ShipOrder',
    payload: message.payload ?? { n: 1 },
    metadata: {
      messageId: message.messageId ?? uuid(),
      correlationId: instance.id,
      causationId: messageId,
      occurredAt: now,
    },
    message: {},
  }));
  const scheduled: ScheduledTimer[] = (spec.schedule ?? []).map((timer) => ({
    id: timer.id ?? uuid(),
    name: timer.name,
    dueAt: timer.dueAt,
    messageType: timer.messageType ?? 'Remind',
    payload: timer.payload ?? {},
  }));
  return {
    isNew,
    expectedVersion: before.version,
    instance,
    inbox: { messageId },
    outgoing,
    associations: spec.associate ?? [],
    timers: { scheduled: ended ? [] : scheduled, cancelled: spec.cancel ?? [], cancelAll: ended },
    history: {
      messageType: spec.messageType ?? 'OrderEvent',
      messageId,
      outcome: spec.outcome ?? 'handled',
      fromState: before.stateName,
      toState: instance.stateName,
      status,
      commands: outgoing.map(({ kind, type, payload }) => ({ kind, type, payload })),
      at: now,
      error: status === 'failed' && before.status !== 'failed' ? instance.lastError : undefined,
      note: spec.note,
      // As the engine records them: the input, and the state after the step with its version.
      input: { payload: { step: messageId }, metadata: { messageId, occurredAt: now } },
      state: instance.state,
      stateVersion: instance.stateVersion ?? 1,
    },
  };
}

/** An outbox row written outside a step (`OutboxStore.enqueue`, `commitReaction`). */
export function outboxRecord(spec: MessageSpec & { processId?: string | null } = {}): OutboxRecord {
  return {
    processId: spec.processId ?? null,
    kind: spec.kind ?? 'command',
    type: spec.type ?? 'SendInvoice',
    payload: spec.payload ?? { n: 1 },
    metadata: { messageId: spec.messageId ?? uuid(), occurredAt: T0 },
  };
}

/** A failed delivery as `DeliveryFailures` records it (first and last failure at `failedAt`). */
export function failure(spec: Partial<FailureRecord> & { failedAt?: Date } = {}): FailureRecord {
  const { failedAt = T0, ...fields } = spec;
  const messageId = fields.messageId ?? uuid();
  return {
    id: uuid(),
    handler: 'order',
    processId: undefined,
    correlationKey: undefined,
    messageType: 'OrderPlaced',
    messageId,
    payload: { orderId: 'o-1' },
    metadata: { messageId, occurredAt: T0 },
    status: 'retrying',
    attempts: 1,
    error: 'boom',
    stack: 'Error: boom\n    at handler',
    firstFailedAt: failedAt,
    lastFailedAt: failedAt,
    nextAttemptAt: fields.status === 'dead' ? undefined : new Date(failedAt.getTime() + 1000),
    ...fields,
  };
}

/** The message ids of claimed outbox rows, in claim order. */
export function ids(records: readonly { metadata: { messageId: string } }[]): string[] {
  return records.map((record) => record.metadata.messageId);
}

/** `date` plus `ms`. */
export function plus(date: Date, ms: number): Date {
  return new Date(date.getTime() + ms);
}
