import { Injectable } from '@nestjs/common';
import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { ProcessDeadLettered } from 'nestjs-process-manager';

/** Thrown by the order fulfilment of an order that simulates `completion: 'crash'`. */
export class SimulatedCrashError extends Error {
  override name = 'SimulatedCrashError';
}

/**
 * A bug on demand, for showing a dead letter: the order fulfilment of an order placed with
 * `simulate: { completion: 'crash' }` throws when it completes. Every delivery of the last reply fails,
 * is retried with backoff, and is dead-lettered; then the bug counts as fixed, so that
 * `POST /processes/:id/retry` (the dashboard's Retry) re-runs the delivery and the order completes.
 * Kept in memory: after a restart such an order no longer crashes.
 */
@Injectable()
export class SimulatedCrashes {
  private readonly armed = new Set<string>();

  arm(orderId: string): void {
    this.armed.add(orderId);
  }

  crashIfArmed(orderId: string): void {
    if (this.armed.has(orderId)) {
      throw new SimulatedCrashError(`Simulated crash while completing order ${orderId}`);
    }
  }

  fix(orderId: string): void {
    this.armed.delete(orderId);
  }
}

/** "The bug gets fixed" once the crashing delivery has been dead-lettered. */
@EventsHandler(ProcessDeadLettered)
export class FixSimulatedCrashOnDeadLetter implements IEventHandler<ProcessDeadLettered> {
  constructor(private readonly crashes: SimulatedCrashes) {}

  handle(event: ProcessDeadLettered): void {
    this.crashes.fix(event.correlationKey);
  }
}
