import type { Decision } from '../engine/decision.js';
import type { OutboxRecord } from '../ports/records.js';

/** A decision's outbox rows, associations and timers as the step SQL reads them (jsonb_to_recordset). */
function parts(decision: Decision) {
  return {
    outbox: decision.outgoing.map(({ kind, type, payload, metadata }) => ({
      id: metadata.messageId,
      kind,
      type,
      payload,
      metadata,
    })),
    associations: decision.associations,
    timers: decision.timers.scheduled.map((timer) => ({
      id: timer.id,
      name: timer.name ?? null,
      due_at: timer.dueAt,
      message_type: timer.messageType,
      payload: timer.payload,
      traceparent: timer.traceparent ?? null,
    })),
  };
}

/** How a statement takes JSON values and times: its own text each, or as elements of a column. */
interface Encoding {
  json(value: unknown): unknown;
  time(value: Date): unknown;
}

/** INSERT_STEP / UPDATE_STEP: a JSON text per value; pg writes the Dates. */
const SINGLE: Encoding = { json: (value) => JSON.stringify(value), time: (value) => value };

/** BATCH_STEP: JSON values stay values (their column is one JSON array); times as ISO text. */
const BATCH: Encoding = { json: (value) => value, time: (value) => value.toISOString() };

/** The instance's columns, in the order both step statements take them. */
function instanceColumns(instance: Decision['instance'], encode: Encoding): unknown[] {
  return [
    instance.id,
    instance.type,
    instance.correlationKey,
    instance.status,
    instance.stateName ?? null,
    encode.json(instance.state),
    instance.version,
    encode.time(instance.startedAt),
    encode.time(instance.updatedAt),
    instance.completedAt ? encode.time(instance.completedAt) : null,
    instance.lastError ?? null,
  ];
}

/** The incoming message and the history row's columns, after the message id. */
function historyColumns(history: Decision['history'], encode: Encoding): unknown[] {
  return [
    history.messageType,
    history.outcome,
    history.fromState ?? null,
    encode.json(history.commands),
    history.error ?? null,
    history.note ?? null,
  ];
}

/** The state's version and the step's input, as $25..$27 (single step) or $39..$41 (batch) take them. */
function versionColumns(decision: Decision, encode: Encoding): unknown[] {
  const { input } = decision.history;
  return [
    decision.instance.stateVersion ?? 1,
    input ? encode.json(input.payload) : null,
    input ? encode.json(input.metadata) : null,
  ];
}

/** The 27 parameters of INSERT_STEP / UPDATE_STEP, in order. */
export function stepValues(decision: Decision): unknown[] {
  const { outbox, associations, timers: scheduled } = parts(decision);
  return [
    ...instanceColumns(decision.instance, SINGLE),
    decision.expectedVersion,
    decision.inbox.messageId,
    ...historyColumns(decision.history, SINGLE),
    JSON.stringify(outbox),
    JSON.stringify(associations),
    decision.timers.cancelAll,
    decision.timers.cancelled,
    JSON.stringify(scheduled),
    ...versionColumns(decision, SINGLE),
  ];
}

/** Parameters of BATCH_STEP that are one JSON array each, not a typed array (see its comment). */
const JSON_COLUMNS = [5, 17, 25, 26, 35, 39, 40];

/** The 42 parameters of BATCH_STEP, in order (see its comment). */
export function batchValues(decisions: readonly Decision[]): unknown[] {
  const columns: unknown[][] = Array.from({ length: 42 }, () => []);
  const push = (from: number, ...values: unknown[]) => {
    values.forEach((value, offset) => columns[from + offset]!.push(value));
  };
  for (const decision of decisions) {
    const { instance, history, timers } = decision;
    const owner = instance.id;
    push(
      0,
      ...instanceColumns(instance, BATCH),
      decision.expectedVersion,
      decision.isNew,
      decision.inbox.messageId,
      ...historyColumns(history, BATCH),
      timers.cancelAll,
    );
    for (const { kind, type, payload, metadata } of decision.outgoing) {
      push(21, owner, metadata.messageId, kind, type, payload, metadata);
    }
    for (const { key, value } of decision.associations) push(27, owner, key, value);
    for (const timer of timers.scheduled) {
      push(
        30,
        owner,
        timer.id,
        timer.name ?? null,
        BATCH.time(timer.dueAt),
        timer.messageType,
        timer.payload,
      );
      push(41, timer.traceparent ?? null);
    }
    for (const name of timers.cancelled) push(36, owner, name);
    push(38, ...versionColumns(decision, BATCH));
  }
  return columns.map((column, index) => (JSON_COLUMNS.includes(index) ? JSON.stringify(column) : column));
}

/** One stateless reaction to commit: its inbox mark and the messages it returned. */
export interface ReactionCommit {
  handler: string;
  messageId: string;
  records: OutboxRecord[];
  at: Date;
}

/** The 9 parameters of BATCH_REACTION, in order (see its comment). */
export function reactionBatchValues(reactions: readonly ReactionCommit[]): unknown[] {
  const owners: number[] = [];
  const ids: string[] = [];
  const kinds: string[] = [];
  const types: string[] = [];
  const payloads: unknown[] = [];
  const metadata: unknown[] = [];
  reactions.forEach(({ records }, index) => {
    for (const record of records) {
      owners.push(index + 1);
      ids.push(record.metadata.messageId);
      kinds.push(record.kind);
      types.push(record.type);
      payloads.push(record.payload);
      metadata.push(record.metadata);
    }
  });
  return [
    reactions.map(({ handler }) => handler),
    reactions.map(({ messageId }) => messageId),
    reactions.map(({ at }) => BATCH.time(at)),
    owners,
    ids,
    kinds,
    types,
    JSON.stringify(payloads),
    JSON.stringify(metadata),
  ];
}
