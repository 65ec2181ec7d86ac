import type { Type } from '@nestjs/common';
import { ON_EVENT_METADATA } from '../kernel/constants.js';

/** Options of `@OnEvent()`. */
export interface OnEventOptions {
  /** The event may create an instance when none is active for its key. */
  start?: boolean;
  /** Event property (or function) giving the correlation value; overrides the process's `correlationKey`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event type is the handler's, unknown here
  correlate?: string | ((event: any) => string | undefined);
  /** Named states in which the handler runs; in any other state the event is recorded as ignored. */
  from?: string | string[];
  /** Named state after the handler. */
  to?: string;
  /**
   * Guard, checked against the instance's current state before the handler runs: false records the
   * event as ignored (the history note names the guard, by its function name) and changes nothing.
   * Pure, like a handler. On a start handler with no instance yet it sees the initial state, and false
   * starts nothing.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the event and state types are the handler's
  when?: (event: any, state: any) => boolean;
  /**
   * A non-start event with no active instance: `'ignore'` (warn and count), `'retry'` (wait for a late
   * start event) or `'dead-letter'`.
   * @default 'ignore'
   */
  onMissing?: 'ignore' | 'retry' | 'dead-letter';
  /**
   * An event without a correlation value (its `correlate` gives undefined, null or ''): `'dead-letter'`
   * it as bad input, or `'ignore'` it as not for this process — for events that only sometimes belong
   * to one.
   * @default 'dead-letter'
   */
  onMissingCorrelation?: 'ignore' | 'dead-letter';
  /**
   * Stateless handlers only: dedupe by messageId (inbox) and write the returned messages to the outbox
   * in one transaction before dispatching them. `false` sends them directly, like an `@EventsHandler`.
   * @default true
   */
  durable?: boolean;
}

export interface OnEventMetadata {
  events: Type[];
  options: OnEventOptions;
}

/**
 * Handles events of the given class(es). In a `@ProcessManager()` class the handler gets
 * `(event, ctx: ProcessContext)`; in any other provider it is stateless and returns the messages to send.
 * Stacks: a method may carry several `@OnEvent()`s.
 */
export function OnEvent(event: Type | Type[], options: OnEventOptions = {}): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const previous: OnEventMetadata[] = Reflect.getMetadata(ON_EVENT_METADATA, descriptor.value) ?? [];
    const events = Array.isArray(event) ? event : [event];
    Reflect.defineMetadata(ON_EVENT_METADATA, [...previous, { events, options }], descriptor.value);
    return descriptor;
  };
}
