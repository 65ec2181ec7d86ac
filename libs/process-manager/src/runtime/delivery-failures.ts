import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ConflictRetriesExhaustedError,
  CorrelationFailedError,
  MissingCorrelationValueError,
  NoActiveInstanceError,
  StateNotSerializableError,
} from '../errors/index.js';
import { ProcessDeadLettered } from '../events/process-lifecycle.events.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import { errorText, OutboxDispatcher } from './outbox.dispatcher.js';
import { FailureStore } from '../ports/failure-store.js';
import { OutboxStore } from '../ports/outbox-store.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { backoffDelay } from '../kernel/backoff.js';
import { Clock } from '../kernel/clock.js';
import { CqrsBuses } from './cqrs-buses.js';

/** One delivery that threw: which handler, which message, for which instance if known. */
export interface FailedDelivery {
  /** Process type, or `Class.method` of a stateless handler. */
  handler: string;
  processId: string | undefined;
  correlationKey: string | undefined;
  message: object;
  metadata: MessageMetadata;
  error: unknown;
}

/**
 * Turns a failed delivery into a durable retry with backoff, or, when attempts run out (or the input
 * can never succeed), a dead letter: stored, logged, `lastError` on the instance, `ProcessDeadLettered`
 * published. Attempt counts live in the database, so a restart continues them.
 */
@Injectable()
export class DeliveryFailures {
  private readonly logger = new Logger(DeliveryFailures.name);

  constructor(
    private readonly store: FailureStore,
    private readonly outbox: OutboxStore,
    private readonly registry: MessageTypeRegistry,
    private readonly dispatcher: OutboxDispatcher,
    private readonly buses: CqrsBuses,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
  ) {}

  async record(failure: FailedDelivery): Promise<void> {
    const { handler, metadata, error } = failure;
    const now = this.clock.now();
    const previous = await this.store.failureAttempts(handler, metadata.messageId);
    // Losing optimistic-concurrency races is contention, not a failure of the handler.
    const attempts = previous + (error instanceof ConflictRetriesExhaustedError ? 0 : 1);
    const dead = isHopeless(error) || attempts >= this.options.retry.maxAttempts;
    const messageType = this.registry.nameOf(failure.message);
    await this.store.recordFailure({
      id: randomUUID(),
      handler,
      processId: failure.processId,
      correlationKey: failure.correlationKey,
      messageType,
      messageId: metadata.messageId,
      payload: this.registry.toPayload(failure.message),
      metadata,
      status: dead ? 'dead' : 'retrying',
      attempts,
      error: errorText(error),
      stack: error instanceof Error ? error.stack : undefined,
      firstFailedAt: now,
      lastFailedAt: now,
      nextAttemptAt: dead ? undefined : new Date(now.getTime() + backoffDelay(attempts, this.options.retry)),
    });
    const where = `${handler} ${failure.correlationKey ?? failure.processId ?? ''}`.trim();
    if (!dead) {
      this.logger.warn(
        `${where}: ${messageType} ${metadata.messageId} failed (attempt ${attempts}), will retry: ${errorText(error)}`,
      );
      return;
    }
    this.logger.error(
      `${where}: ${messageType} ${metadata.messageId} dead-lettered after ${attempts} attempt(s): ${errorText(error)}`,
    );
    this.buses.unhandledExceptions.publish({ cause: failure.message, exception: error });
    if (failure.processId) await this.notifyDeadLettered(failure, messageType, now);
  }

  private async notifyDeadLettered(failure: FailedDelivery, messageType: string, now: Date): Promise<void> {
    const processId = failure.processId!;
    await this.store.setLastError(processId, errorText(failure.error));
    const event = new ProcessDeadLettered(
      processId,
      failure.handler,
      failure.correlationKey ?? '',
      messageType,
      errorText(failure.error),
    );
    const notice = this.registry.toOutgoing(event, {
      messageId: randomUUID(),
      correlationId: processId,
      causationId: failure.metadata.messageId,
      occurredAt: now,
    });
    const { message: _message, ...record } = notice;
    await this.outbox.enqueue([{ ...record, processId }], now);
    await this.dispatcher.dispatch([notice]);
  }
}

/** Failures that no retry can fix: bad input, or a policy that says "don't wait". */
function isHopeless(error: unknown): boolean {
  return (
    error instanceof CorrelationFailedError ||
    error instanceof MissingCorrelationValueError ||
    error instanceof StateNotSerializableError ||
    (error instanceof NoActiveInstanceError && error.policy === 'dead-letter')
  );
}
