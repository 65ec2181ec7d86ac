import type { StatefulRoute } from '../definition/process-definition.js';
import {
  CorrelationFailedError,
  MissingCorrelationValueError,
  StateNotSerializableError,
} from '../errors/index.js';
import { ProcessCompleted, ProcessFailed, ProcessStarted } from '../events/process-lifecycle.events.js';
import { outgoingMessageId } from '../messaging/message-id.js';
import type { MessageMetadata } from '../messaging/message-metadata.js';
import { withMetadata } from '../messaging/message-metadata.js';
import type { Decision, OutgoingMessage, ScheduledTimer } from './decision.js';
import { DraftContext } from './draft-context.js';
import { isLive, type ProcessInstance } from './process-instance.js';

/** What the engine needs from the outside world, injected so that a step is deterministic. */
export interface EngineEnvironment {
  now(): Date;
  newId(): string;
  nameOf(message: object): string;
  toPayload(message: object): Record<string, unknown>;
}

export interface StepInput {
  route: StatefulRoute;
  event: object;
  metadata: MessageMetadata;
  correlationKey: string;
  /** The active instance for the key, or null (then `route.start` must be true). */
  instance: ProcessInstance | null;
}

/** The correlation value of an event for a route, or a named error saying why there is none. */
export function correlate(route: StatefulRoute, event: object): string {
  let value: unknown;
  try {
    value = route.correlate(event);
  } catch (error) {
    throw new CorrelationFailedError(route.process.name, route.messageType, error);
  }
  if (value === undefined || value === null || value === '') {
    throw new MissingCorrelationValueError(route.process.name, route.messageType, route.correlateBy);
  }
  return String(value);
}

/**
 * Runs one event against one instance (creating it for a start event) and returns the Decision.
 * Pure: no I/O; time, ids and serialisation come from `env`.
 */
export async function decide(input: StepInput, env: EngineEnvironment): Promise<Decision> {
  const { route, event, metadata } = input;
  const isNew = input.instance === null;
  const now = env.now();
  const before = input.instance ?? newInstance(input, env, now);
  const ctx = new DraftContext(before, isNew, metadata, () => env.now());

  const ignoredBecause = isNew ? undefined : whyIgnored(route, before);
  if (ignoredBecause === undefined) await route.invoke(event, ctx);
  if (route.to !== undefined && ignoredBecause === undefined) ctx.transitionTo(route.to);

  const after: ProcessInstance = {
    ...before,
    state: ignoredBecause === undefined ? toJsonState(ctx.state, before) : before.state,
    status: ctx.status,
    stateName: ctx.stateName,
    lastError: ctx.lastError,
    version: before.version + 1,
    updatedAt: now,
    completedAt: ctx.status === 'completed' || ctx.status === 'failed' ? now : before.completedAt,
  };
  const outgoing = outgoingMessages(ctx, before, after, isNew, metadata, env, now);
  const ended = !isLive(after.status);
  return {
    isNew,
    expectedVersion: before.version,
    instance: after,
    inbox: { messageId: metadata.messageId },
    outgoing,
    associations: ctx.associations,
    timers: {
      scheduled: ended
        ? []
        : ctx.scheduled.map((timer): ScheduledTimer => ({
            id: env.newId(),
            name: timer.name,
            dueAt: timer.dueAt,
            messageType: env.nameOf(timer.message),
            payload: env.toPayload(timer.message),
          })),
      cancelled: ctx.cancelled.filter((name) => !ctx.scheduled.some((timer) => timer.name === name)),
      cancelAll: ended,
    },
    history: {
      messageType: route.messageType,
      messageId: metadata.messageId,
      outcome: ignoredBecause === undefined ? 'handled' : 'ignored',
      note: ignoredBecause,
      fromState: before.stateName,
      toState: after.stateName,
      status: after.status,
      commands: outgoing.map(({ kind, type, payload }) => ({ kind, type, payload })),
      at: now,
      error: after.status === 'failed' && before.status !== 'failed' ? after.lastError : undefined,
    },
  };
}

function newInstance(input: StepInput, env: EngineEnvironment, now: Date): ProcessInstance {
  return {
    id: env.newId(),
    type: input.route.process.name,
    correlationKey: input.correlationKey,
    status: 'running',
    stateName: undefined,
    state: input.route.process.initialState(),
    version: 0,
    startedAt: now,
    updatedAt: now,
  };
}

function whyIgnored(route: StatefulRoute, instance: ProcessInstance): string | undefined {
  if (!isLive(instance.status)) return `instance is ${instance.status}`;
  if (route.from && !route.from.includes(instance.stateName ?? '')) {
    return `${route.methodName}() runs in ${route.from.join(' | ')}, instance is in ${instance.stateName ?? '(no state)'}`;
  }
  return undefined;
}

function toJsonState(state: unknown, instance: ProcessInstance): object {
  let json: string | undefined;
  try {
    json = JSON.stringify(state, (_key, value: unknown) => {
      if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
        throw new TypeError(`a ${typeof value} value`);
      }
      return value;
    });
  } catch (error) {
    throw new StateNotSerializableError(instance.type, instance.id, (error as Error).message);
  }
  if (json === undefined || typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new StateNotSerializableError(instance.type, instance.id, 'state must be an object');
  }
  return JSON.parse(json) as object;
}

function outgoingMessages(
  ctx: DraftContext,
  before: ProcessInstance,
  after: ProcessInstance,
  isNew: boolean,
  cause: MessageMetadata,
  env: EngineEnvironment,
  now: Date,
): OutgoingMessage[] {
  const lifecycle: object[] = [];
  const { id, type, correlationKey } = after;
  if (isNew) lifecycle.push(new ProcessStarted(id, type, correlationKey));
  if (after.status !== before.status && after.status === 'completed') {
    lifecycle.push(new ProcessCompleted(id, type, correlationKey));
  }
  if (after.status !== before.status && after.status === 'failed') {
    lifecycle.push(new ProcessFailed(id, type, correlationKey, after.lastError ?? 'failed'));
  }
  const all = [...ctx.sent, ...lifecycle.map((message) => ({ kind: 'event' as const, message }))];
  return all.map(({ kind, message }, index) => {
    const metadata: MessageMetadata = {
      messageId: outgoingMessageId(id, cause.messageId, index),
      correlationId: id,
      causationId: cause.messageId,
      occurredAt: now,
    };
    return {
      kind,
      type: env.nameOf(message),
      payload: env.toPayload(message),
      metadata,
      message: withMetadata(message, metadata),
    };
  });
}
