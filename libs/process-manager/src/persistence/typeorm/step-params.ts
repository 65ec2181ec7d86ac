import type { Decision } from '../../engine/decision.js';

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
    })),
  };
}

/** The 24 parameters of INSERT_STEP_SQL / UPDATE_STEP_SQL, in order. */
export function stepValues(decision: Decision): unknown[] {
  const { instance, history, timers } = decision;
  const { outbox, associations, timers: scheduled } = parts(decision);
  return [
    instance.id,
    instance.type,
    instance.correlationKey,
    instance.status,
    instance.stateName ?? null,
    JSON.stringify(instance.state),
    instance.version,
    instance.startedAt,
    instance.updatedAt,
    instance.completedAt ?? null,
    instance.lastError ?? null,
    decision.expectedVersion,
    decision.inbox.messageId,
    history.messageType,
    history.outcome,
    history.fromState ?? null,
    JSON.stringify(history.commands),
    history.error ?? null,
    history.note ?? null,
    JSON.stringify(outbox),
    JSON.stringify(associations),
    timers.cancelAll,
    timers.cancelled,
    JSON.stringify(scheduled),
  ];
}

/** One element of BATCH_STEP_SQL's decision array. */
export function toBatchJson(decision: Decision): Record<string, unknown> {
  const { instance, history, timers } = decision;
  return {
    id: instance.id,
    type: instance.type,
    correlation_key: instance.correlationKey,
    status: instance.status,
    state_name: instance.stateName ?? null,
    state: instance.state,
    version: instance.version,
    started_at: instance.startedAt,
    updated_at: instance.updatedAt,
    completed_at: instance.completedAt ?? null,
    last_error: instance.lastError ?? null,
    expected: decision.expectedVersion,
    is_new: decision.isNew,
    message_id: decision.inbox.messageId,
    message_type: history.messageType,
    outcome: history.outcome,
    from_state: history.fromState ?? null,
    commands: history.commands,
    error: history.error ?? null,
    note: history.note ?? null,
    cancel_all: timers.cancelAll,
    cancelled: timers.cancelled,
    ...parts(decision),
  };
}
