import type { ProcessStatus } from '../kernel/process-context.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import type { ClaimedOutboxRecord, FailureRecord, OutboxRecord, TimerRecord } from '../ports/records.js';
import type { ProcessEntity } from './entities/process.entity.js';

/** Row shapes of the raw-SQL paths and their mapping to the port's types. */

export type JsonMetadata = Omit<MessageMetadata, 'occurredAt'> & { occurredAt: string };

export type ProcessRow = {
  id: string;
  type: string;
  correlation_key: string;
  status: ProcessStatus;
  state_name: string | null;
  state: object;
  version: number;
  state_version?: number;
  started_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  acknowledged_at: Date | null;
  stalled_at: Date | null;
  last_error: string | null;
};

export function fromProcessRow(row: ProcessRow): ProcessInstance {
  return fromEntity({
    id: row.id,
    type: row.type,
    correlationKey: row.correlation_key,
    status: row.status,
    stateName: row.state_name,
    state: row.state,
    version: row.version,
    stateVersion: row.state_version ?? 1,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    acknowledgedAt: row.acknowledged_at,
    stalledAt: row.stalled_at,
    lastError: row.last_error,
  });
}

/** Every column of pm_process but the state: what a summary listing reads. */
export const SUMMARY_COLUMNS = [
  'id',
  'type',
  'correlationKey',
  'status',
  'stateName',
  'version',
  'stateVersion',
  'startedAt',
  'updatedAt',
  'completedAt',
  'acknowledgedAt',
  'stalledAt',
  'lastError',
] as const satisfies readonly (keyof ProcessEntity)[];

export function fromEntity(entity: ProcessEntity): ProcessInstance {
  return {
    id: entity.id,
    type: entity.type,
    correlationKey: entity.correlationKey,
    status: entity.status as ProcessStatus,
    stateName: entity.stateName ?? undefined,
    state: entity.state,
    version: entity.version,
    stateVersion: entity.stateVersion ?? 1,
    startedAt: entity.startedAt,
    updatedAt: entity.updatedAt,
    completedAt: entity.completedAt ?? undefined,
    acknowledgedAt: entity.acknowledgedAt ?? undefined,
    lastError: entity.lastError ?? undefined,
  };
}

export type OutboxRow = {
  process_id: string | null;
  kind: 'command' | 'event';
  type: string;
  payload: Record<string, unknown>;
  metadata: JsonMetadata;
  attempts: number;
};

export type TimerRow = {
  id: string;
  process_id: string;
  process_type: string;
  name: string | null;
  due_at: Date;
  message_type: string;
  payload: Record<string, unknown>;
  traceparent?: string | null;
  /** The instance's key, joined in by the claim. */
  correlation_key?: string | null;
};

export type DeadLetterRow = {
  id: string;
  handler: string;
  process_id: string | null;
  correlation_key: string | null;
  message_type: string;
  message_id: string;
  payload: Record<string, unknown>;
  metadata: JsonMetadata;
  status: 'retrying' | 'dead';
  attempts: number;
  error: string;
  stack: string | null;
  first_failed_at: Date;
  last_failed_at: Date;
  next_attempt_at: Date | null;
};

export function fromJsonMetadata(metadata: JsonMetadata): MessageMetadata {
  return { ...metadata, occurredAt: new Date(metadata.occurredAt) };
}

export function toOutboxJson(record: OutboxRecord) {
  const { metadata, processId, kind, type, payload } = record;
  return { id: metadata.messageId, process_id: processId, kind, type, payload, metadata };
}

export function fromOutboxRow(row: OutboxRow): ClaimedOutboxRecord {
  return {
    processId: row.process_id,
    kind: row.kind,
    type: row.type,
    payload: row.payload,
    metadata: fromJsonMetadata(row.metadata),
    attempts: row.attempts,
  };
}

export function fromTimerRow(row: TimerRow): TimerRecord {
  return {
    id: row.id,
    processId: row.process_id,
    processType: row.process_type,
    name: row.name ?? undefined,
    dueAt: row.due_at,
    messageType: row.message_type,
    payload: row.payload,
    ...(row.traceparent != null && { traceparent: row.traceparent }),
    ...(row.correlation_key != null && { correlationKey: row.correlation_key }),
  };
}

export function fromDeadLetterRow(row: DeadLetterRow): FailureRecord {
  return {
    id: row.id,
    handler: row.handler,
    processId: row.process_id ?? undefined,
    correlationKey: row.correlation_key ?? undefined,
    messageType: row.message_type,
    messageId: row.message_id,
    payload: row.payload,
    metadata: fromJsonMetadata(row.metadata),
    status: row.status,
    attempts: row.attempts,
    error: row.error,
    stack: row.stack ?? undefined,
    firstFailedAt: row.first_failed_at,
    lastFailedAt: row.last_failed_at,
    nextAttemptAt: row.next_attempt_at ?? undefined,
  };
}
