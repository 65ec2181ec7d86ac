import type { ICommand, IEvent } from '@nestjs/cqrs';
import type { MessageMetadata } from './message-metadata.js';

export type ProcessStatus = 'running' | 'compensating' | 'completed' | 'failed' | 'cancelled';

/** When a scheduled message is due: after a duration (ms or '30s', '15m', '2h', '7d') or at a date. */
export type ScheduleWhen = { after: number | string } | { at: Date };

/** What a stateful handler sees and does. Everything it changes is committed atomically after it returns. */
export interface ProcessContext<S = object> {
  /** Uuid of the instance; used as correlationId of everything it sends. */
  readonly processId: string;
  readonly processType: string;
  readonly correlationKey: string;
  /** The instance was created by this event. */
  readonly isNew: boolean;
  readonly status: ProcessStatus;
  /** Named state (see `from` / `to` of `@OnEvent()`). */
  readonly stateName: string | undefined;
  /** Metadata of the event being handled. */
  readonly metadata: MessageMetadata;
  /** Mutate or replace; persisted with the step. Must be JSON-serialisable. */
  state: S;
  /** Sends a command through the outbox to the CommandBus, after commit. */
  send(command: ICommand): void;
  /** Publishes an event through the outbox to the EventBus, after commit. */
  publish(event: IEvent): void;
  /** Delivers `message` back to this instance when due; a `name` makes it replaceable and cancellable. */
  schedule(message: IEvent, when: ScheduleWhen, name?: string): void;
  cancelSchedule(name: string): void;
  /** Routes future events whose correlation value (for `key`) is `value` to this instance as well. */
  associate(key: string, value: string): void;
  transitionTo(stateName: string): void;
  /** Ends the instance as completed; pending timers are cancelled. */
  complete(): void;
  /** Ends the instance as failed; pending timers are cancelled; the key stays taken until acknowledged. */
  fail(reason: string | Error): void;
  /** The engine's clock (virtual in tests). Never use `Date.now()` in a handler. */
  now(): Date;
}
