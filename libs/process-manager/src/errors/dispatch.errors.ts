import { ProcessManagerError } from './process-manager.error.js';

/** A message's receiver (a command handler, or this app's steps for an event) did not finish in time. */
export class DispatchTimeoutError extends ProcessManagerError {
  constructor(
    readonly kind: 'command' | 'event',
    readonly messageType: string,
    readonly messageId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `Dispatch of ${kind} ${messageType} ${messageId} did not finish within ${timeoutMs} ms; it is retried ` +
        `with backoff. Find out why its handler hangs, or raise outbox.dispatchTimeoutMs if it is just slow.`,
    );
  }
}

/** A dispatch still running when the app shut down; its outbox row is left for the relay. */
export class DispatchAbandonedError extends ProcessManagerError {
  constructor(
    readonly messageType: string,
    readonly messageId: string,
  ) {
    super(
      `Dispatch of ${messageType} ${messageId} was abandoned: the app shut down while its handler still ran. ` +
        `Nothing to do: the outbox relay sends it again after the restart.`,
    );
  }
}
