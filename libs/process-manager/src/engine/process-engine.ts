import { routeFor, type ProcessDefinition, type StatefulRoute } from '../definition/process-definition.js';
import {
  CorrelationFailedError,
  InvalidCorrelationValueError,
  InvalidMessageMetadataError,
  MessageNotSerializableError,
  MissingCorrelationValueError,
  NewerProcessVersionError,
  ProcessMigrationFailedError,
  StateNotSerializableError,
  UnroutableTimerError,
} from '../errors/index.js';
import { describeValue } from '../errors/describe-value.js';
import { describeError } from '../kernel/describe-error.js';
import { clonePlainJson, toPlainJson } from '../kernel/plain-json.js';
import { correlationKeyOf, MAX_NAME_LENGTH, nameProblem, textProblem } from '../kernel/text-rules.js';
import {
  ProcessCompleted,
  ProcessFailed,
  ProcessStalled,
  ProcessStarted,
} from '../events/process-lifecycle.events.js';
import { ProcessTimedOut } from '../events/system-messages.js';
import { outgoingMessageId } from '../kernel/message-id.js';
import { type MessageMetadata, withMetadata } from '../kernel/message-metadata.js';
import type { OutgoingMessage } from '../kernel/outgoing-message.js';
import type { Decision } from './decision.js';
import { DraftContext } from './draft-context.js';
import { isLive, type ProcessHistoryEntry, type ProcessInstance } from '../kernel/process-instance.js';

/** What the engine needs from the outside world, injected so that a step is deterministic. */
export interface EngineEnvironment {
  now(): Date;
  newId(): string;
  nameOf(message: object): string;
}

export interface StepInput {
  route: StatefulRoute;
  event: object;
  metadata: MessageMetadata;
  correlationKey: string;
  /** The active instance for the key, or null (then `route.start` must be true). */
  instance: ProcessInstance | null;
}

/** The name of the deadline timer of `@ProcessManager({ timeout })`. */
export const DEADLINE_TIMER = 'pm:deadline';

/** The correlation value of an event for a route, or a named error saying why there is none. */
export function correlate(route: StatefulRoute, event: object): string {
  let value: unknown;
  try {
    value = route.correlate(event);
  } catch (error) {
    throw new CorrelationFailedError(route.process.name, route.messageType, error, describeError(error));
  }
  if (value === undefined || value === null || value === '') {
    throw new MissingCorrelationValueError(route.process.name, route.messageType, route.correlateBy);
  }
  const { key, problem } = correlationKeyOf(value);
  if (problem !== undefined) {
    throw new InvalidCorrelationValueError(route.process.name, route.messageType, route.correlateBy, problem);
  }
  return key;
}

/**
 * Refuses an incoming message whose ids the inbox, the history or the outbox could not store (the
 * database would reject a NUL, rewrite a lone surrogate, or cut nothing and fail on a 201st character).
 */
export function checkMetadata(messageType: string, metadata: MessageMetadata): void {
  const idProblem = nameProblem(metadata.messageId, MAX_NAME_LENGTH);
  if (idProblem) {
    const reason = `(${describeValue(metadata.messageId)}) ${idProblem}`;
    throw new InvalidMessageMetadataError(messageType, 'messageId', reason);
  }
  for (const field of ['correlationId', 'causationId', 'traceparent'] as const) {
    const value: unknown = metadata[field];
    if (value === undefined || value === null) continue;
    const problem = typeof value === 'string' ? textProblem(value) : 'is not a string';
    if (problem)
      throw new InvalidMessageMetadataError(messageType, field, `(${describeValue(value)}) ${problem}`);
  }
}

/**
 * Runs one event against one instance (creating it for a start event) and returns the Decision.
 * Pure: no I/O; time, ids and serialisation come from `env`.
 */
export async function decide(input: StepInput, env: EngineEnvironment): Promise<Decision> {
  const { route, event, metadata } = input;
  const process = route.process;
  // One clock value per step: what the history records as `at`, and what a replay gives the handler.
  const at = env.now();
  const stepEnv: EngineEnvironment = { ...env, now: () => new Date(at.getTime()) };
  const isNew = input.instance === null;
  const before = input.instance
    ? upgraded(process, input.instance)
    : newInstance(process, input.correlationKey, stepEnv);
  const ctx = draft(process, before, isNew, metadata, stepEnv);

  const ignoredBecause = isNew ? undefined : whyIgnored(route, before, event);
  if (ignoredBecause === undefined) {
    if (isNew && process.timeoutMs !== undefined) {
      const deadline = new Date(before.startedAt.getTime() + process.timeoutMs);
      ctx.schedule(new ProcessTimedOut(deadline.toISOString()), { at: deadline }, DEADLINE_TIMER);
    }
    await route.invoke(event, ctx);
    if (route.to !== undefined) ctx.transitionTo(route.to);
  }
  const { json, refused } = toPlainJson(event, route.messageType, true);
  return toDecision(ctx, before, stepEnv, {
    messageType: route.messageType,
    outcome: ignoredBecause === undefined ? 'handled' : 'ignored',
    note: ignoredBecause ?? ctx.note,
    // An input that is not plain JSON is still handled; only its replay is given up (verify() says so).
    input: refused ? undefined : { payload: json, metadata },
  });
}

/**
 * Why a start event with no instance yet starts nothing: its guard refused the initial state. The
 * delivery then commits nothing (an ignored start would leave an instance behind).
 */
export function startRefused(route: StatefulRoute, event: object): string | undefined {
  if (!route.guard || route.guard.test(event, route.process.initialState())) return undefined;
  return `guard ${route.guard.name} refused it`;
}

/**
 * The instance with its state upgraded to the definition's version by `migrations[stored+1..version]`.
 * An instance written by a newer version is not touched (`NewerProcessVersionError`: the delivery waits
 * for an app that knows it); a migration that throws fails the step (`ProcessMigrationFailedError`).
 */
export function upgraded(process: ProcessDefinition, instance: ProcessInstance): ProcessInstance {
  const stored = instance.stateVersion ?? 1;
  if (stored > process.version)
    throw new NewerProcessVersionError(process.name, instance.id, stored, process.version);
  if (stored === process.version) {
    return instance.stateVersion === stored ? instance : { ...instance, stateVersion: stored };
  }
  let state = instance.state;
  for (let version = stored + 1; version <= process.version; version++) {
    try {
      state = process.migrations[version]!(clonePlainJson(state));
    } catch (error) {
      throw new ProcessMigrationFailedError(process.name, instance.id, version, error, describeError(error));
    }
  }
  return { ...instance, state: toJsonState(state, instance), stateVersion: process.version };
}

/**
 * The step recovery takes for an instance that made no progress: recorded as `stalled`,
 * `ProcessStalled` published, and with `onStuck: 'fail'` the instance failed.
 */
export function decideStall(
  process: ProcessDefinition,
  instance: ProcessInstance,
  idleMs: number,
  env: EngineEnvironment,
): Decision {
  const metadata: MessageMetadata = {
    messageId: `stalled:${instance.id}:${instance.version}`,
    correlationId: instance.id,
    occurredAt: env.now(),
  };
  const ctx = draft(process, instance, false, metadata, env);
  const { id, type, correlationKey, stateName } = instance;
  ctx.publish(new ProcessStalled(id, type, correlationKey, stateName, idleMs));
  if (process.onStuck === 'fail') ctx.fail(`stalled: no progress for ${Math.round(idleMs / 1000)}s`);
  return toDecision(ctx, instance, env, {
    messageType: 'ProcessManager.ProcessStalled',
    outcome: 'stalled',
    note: `no progress for ${Math.round(idleMs / 1000)}s (onStuck: '${process.onStuck}')`,
    input: undefined,
  });
}

function draft(
  process: ProcessDefinition,
  instance: ProcessInstance,
  isNew: boolean,
  metadata: MessageMetadata,
  env: EngineEnvironment,
): DraftContext {
  return new DraftContext(
    instance,
    isNew,
    metadata,
    () => env.now(),
    (message) => {
      const type = env.nameOf(message);
      if (!routeFor(process, type)) throw new UnroutableTimerError(process.name, type);
    },
  );
}

function newInstance(
  process: ProcessDefinition,
  correlationKey: string,
  env: EngineEnvironment,
): ProcessInstance {
  const now = env.now();
  return {
    id: env.newId(),
    type: process.name,
    correlationKey,
    status: 'running',
    stateName: undefined,
    state: process.initialState(),
    version: 0,
    stateVersion: process.version,
    startedAt: now,
    updatedAt: now,
  };
}

function whyIgnored(route: StatefulRoute, instance: ProcessInstance, event: object): string | undefined {
  if (!isLive(instance.status)) return `instance is ${instance.status}`;
  if (route.from && !route.from.includes(instance.stateName ?? '')) {
    return `${route.methodName}() runs in ${route.from.join(' | ')}, instance is in ${instance.stateName ?? '(no state)'}`;
  }
  if (route.guard && !route.guard.test(event, clonePlainJson(instance.state))) {
    return `guard ${route.guard.name} of ${route.methodName}() refused it`;
  }
  return undefined;
}

/**
 * The step's Decision. Its objects are written as literals with every field (no spreads): the
 * hot path builds several per event, and a literal is a fixed shape V8 creates at once.
 */
function toDecision(
  ctx: DraftContext,
  before: ProcessInstance,
  env: EngineEnvironment,
  step: Pick<ProcessHistoryEntry, 'messageType' | 'outcome' | 'note' | 'input'>,
): Decision {
  const now = env.now();
  const changed = step.outcome !== 'ignored';
  const after: ProcessInstance = {
    id: before.id,
    type: before.type,
    correlationKey: before.correlationKey,
    status: ctx.status,
    stateName: ctx.stateName,
    state: changed ? toJsonState(ctx.state, before) : before.state,
    version: before.version + 1,
    stateVersion: before.stateVersion,
    startedAt: before.startedAt,
    updatedAt: now,
    completedAt: isLive(ctx.status) ? before.completedAt : (before.completedAt ?? now),
    acknowledgedAt: before.acknowledgedAt,
    lastError: ctx.lastError,
  };
  const outgoing = outgoingMessages(ctx, before, after, env, now);
  const ended = !isLive(after.status);
  return {
    isNew: ctx.isNew,
    expectedVersion: before.version,
    instance: after,
    inbox: { messageId: ctx.metadata.messageId },
    outgoing,
    associations: ctx.associations,
    timers: {
      scheduled: ended
        ? []
        : ctx.scheduled.map((timer) => ({
            // A timer's id is also the messageId of its delivery, which deletes the row in the same commit.
            id: env.newId(),
            name: timer.name,
            dueAt: timer.dueAt,
            messageType: env.nameOf(timer.message),
            payload: payloadOf(before, timer.message, env),
            ...(ctx.metadata.traceparent !== undefined && { traceparent: ctx.metadata.traceparent }),
          })),
      cancelled: ctx.cancelled.filter((name) => !ctx.scheduled.some((timer) => timer.name === name)),
      cancelAll: ended,
    },
    history: {
      messageType: step.messageType,
      outcome: step.outcome,
      note: step.note,
      input: step.input,
      messageId: ctx.metadata.messageId,
      fromState: before.stateName,
      toState: after.stateName,
      status: after.status,
      commands: outgoing.map(({ kind, type, payload }) => ({ kind, type, payload })),
      at: now,
      error: after.status === 'failed' && before.status !== 'failed' ? after.lastError : undefined,
      state: after.state,
      stateVersion: after.stateVersion ?? 1,
    },
  };
}

/** The state as the database will give it back, or the first reason it would not (with its path). */
function toJsonState(state: unknown, instance: ProcessInstance): object {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    const reason = `state is ${describeValue(state)}, not an object`;
    throw new StateNotSerializableError(instance.type, instance.id, reason);
  }
  const { json, refused } = toPlainJson(state, 'state');
  if (refused) throw new StateNotSerializableError(instance.type, instance.id, refused.toString());
  return json as object;
}

/** The payload of a message for its outbox or timer row: what the relay or the poller will rebuild it from. */
function payloadOf(
  instance: ProcessInstance,
  message: object,
  env: EngineEnvironment,
): Record<string, unknown> {
  const type = env.nameOf(message);
  const { json, refused } = toPlainJson(message, type, true);
  if (refused) throw new MessageNotSerializableError(`process "${instance.type}"`, type, refused.toString());
  return json as Record<string, unknown>;
}

function outgoingMessages(
  ctx: DraftContext,
  before: ProcessInstance,
  after: ProcessInstance,
  env: EngineEnvironment,
  now: Date,
): OutgoingMessage[] {
  const lifecycle: object[] = [];
  const { id, type, correlationKey } = after;
  if (ctx.isNew) lifecycle.push(new ProcessStarted(id, type, correlationKey));
  if (after.status !== before.status && after.status === 'completed') {
    lifecycle.push(new ProcessCompleted(id, type, correlationKey));
  }
  if (after.status !== before.status && after.status === 'failed') {
    lifecycle.push(
      new ProcessFailed(id, type, correlationKey, after.lastError ?? 'failed', ctx.requiresIntervention),
    );
  }
  const all = [...ctx.sent, ...lifecycle.map((message) => ({ kind: 'event' as const, message }))];
  return all.map(({ kind, message }, index) => {
    const metadata: MessageMetadata = {
      messageId: outgoingMessageId(id, ctx.metadata.messageId, index),
      correlationId: id,
      causationId: ctx.metadata.messageId,
      occurredAt: now,
    };
    // The step's own span (see ProcessTelemetry.step): what it sends continues its trace.
    if (ctx.metadata.traceparent !== undefined) metadata.traceparent = ctx.metadata.traceparent;
    return {
      kind,
      type: env.nameOf(message),
      payload: payloadOf(after, message, env),
      metadata,
      message: withMetadata(message, metadata),
    };
  });
}
