import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  ConflictRetriesExhaustedError,
  DeliveryNotRecordedError,
  type DeliveryTarget,
  HopelessInputError,
  NewerProcessVersionError,
  NoActiveInstanceError,
  UnstorableDeliveryError,
} from '../errors/index.js';
import { ProcessDeadLettered } from '../events/process-lifecycle.events.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';
import { FailureStore } from '../ports/failure-store.js';
import { OutboxStore } from '../ports/outbox-store.js';
import { ProcessTelemetry } from '../telemetry/process-telemetry.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { backoffDelay } from '../kernel/backoff.js';
import { Clock } from '../kernel/clock.js';
import { describeError } from '../kernel/describe-error.js';
import { CqrsBuses } from './cqrs-buses.js';
import { escapeText, storableJson, storableKeys } from './failure-record.js';

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
 * published. Attempt counts live in the database, so a restart continues them. The record is made
 * storable whatever the input was (see failure-record.ts); one that had to be altered is dead at once.
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
    private readonly telemetry: ProcessTelemetry,
  ) {}

  /** Rejects with `DeliveryNotRecordedError` (naming the delivery and both errors) when the store fails. */
  async record(failure: FailedDelivery): Promise<void> {
    try {
      await this.write(failure);
    } catch (recordError) {
      if (recordError instanceof DeliveryNotRecordedError) throw recordError;
      throw new DeliveryNotRecordedError(
        this.targetOf(failure),
        failure.error,
        escapeText(describeError(failure.error)),
        recordError,
        escapeText(describeError(recordError)),
      );
    }
  }

  /** The delivery as log lines and errors name it (text escaped, keys as they came). */
  targetOf(failure: FailedDelivery): DeliveryTarget {
    return {
      handler: escapeText(failure.handler),
      messageType: escapeText(this.registry.nameOf(failure.message)),
      messageId: escapeText(String(failure.metadata.messageId)),
      correlationKey: failure.correlationKey === undefined ? undefined : escapeText(failure.correlationKey),
    };
  }

  private async write(failure: FailedDelivery): Promise<void> {
    const { error } = failure;
    const now = this.clock.now();
    const alterations: string[] = [];
    const keys = storableKeys(
      {
        handler: failure.handler,
        messageType: this.registry.nameOf(failure.message),
        messageId: String(failure.metadata.messageId),
        correlationKey: failure.correlationKey,
      },
      alterations,
    );
    const payload = storableJson(failure.message, 'payload', alterations);
    const beforeMetadata = alterations.length;
    const metadata = storableJson(failure.metadata, 'metadata', alterations);
    const target = this.targetOf(failure);
    const causeText = escapeText(describeError(error));
    // A changed input cannot be retried as it came: name that (unless the input error already says so).
    const reported =
      alterations.length > 0 && !isHopeless(error)
        ? new UnstorableDeliveryError(target, alterations, error, causeText)
        : error;
    const errorText =
      reported === error && alterations.length > 0
        ? `${causeText} (stored altered: ${alterations.join('; ')})`
        : escapeText(describeError(reported));

    const previous = await this.store.failureAttempts(keys.handler, keys.messageId);
    // Losing optimistic-concurrency races is contention, not a failure of the handler; an instance of a
    // newer version waits for a newer app (a rolling deploy), however long that takes.
    const deferred = error instanceof NewerProcessVersionError;
    const attempts = previous + (error instanceof ConflictRetriesExhaustedError || deferred ? 0 : 1);
    const dead = !deferred && (isHopeless(reported) || attempts >= this.options.retry.maxAttempts);
    this.telemetry.deliveryFailed(keys.handler, keys.messageType, error, dead);
    await this.store.recordFailure({
      id: randomUUID(),
      handler: keys.handler,
      processId: failure.processId,
      correlationKey: keys.correlationKey,
      messageType: keys.messageType,
      messageId: keys.messageId,
      payload: payload as Record<string, unknown>,
      // Unchanged metadata stays as it came (Dates and all) for the stores that keep objects.
      metadata: alterations.length > beforeMetadata ? (metadata as MessageMetadata) : failure.metadata,
      status: dead ? 'dead' : 'retrying',
      attempts,
      error: errorText,
      stack: error instanceof Error && typeof error.stack === 'string' ? escapeText(error.stack) : undefined,
      firstFailedAt: now,
      lastFailedAt: now,
      nextAttemptAt: dead ? undefined : new Date(now.getTime() + backoffDelay(attempts, this.options.retry)),
    });
    const where = `${target.handler} ${target.correlationKey ?? failure.processId ?? ''}`.trim();
    if (deferred) {
      this.onDeferred(error, `${where}: ${target.messageType} ${target.messageId}`);
      return;
    }
    if (!dead) {
      this.logger.warn(
        `${where}: ${target.messageType} ${target.messageId} failed (attempt ${attempts}), will retry: ${errorText}`,
      );
      return;
    }
    this.logger.error(
      `${where}: ${target.messageType} ${target.messageId} dead-lettered after ${attempts} attempt(s): ${errorText}`,
    );
    this.buses.unhandledExceptions.publish({ cause: failure.message, exception: reported });
    if (failure.processId) await this.notifyDeadLettered(failure, target, errorText, now);
  }

  /** Deliveries deferred for an instance of a newer version, per process type; logged once per instance. */
  readonly deferredByVersion = new Map<string, number>();
  private readonly deferredInstances = new Set<string>();

  private onDeferred(error: NewerProcessVersionError, what: string): void {
    const count = this.deferredByVersion.get(error.processName) ?? 0;
    this.deferredByVersion.set(error.processName, count + 1);
    const instance = `${error.processId}@${error.storedVersion}`;
    if (this.deferredInstances.has(instance)) return;
    if (this.deferredInstances.size >= 10_000) this.deferredInstances.clear();
    this.deferredInstances.add(instance);
    this.logger.log(`${what} deferred: ${error.message}`);
  }

  private async notifyDeadLettered(
    failure: FailedDelivery,
    target: DeliveryTarget,
    errorText: string,
    now: Date,
  ): Promise<void> {
    const processId = failure.processId!;
    await this.store.setLastError(processId, errorText);
    const event = new ProcessDeadLettered(
      processId,
      target.handler,
      target.correlationKey ?? '',
      target.messageType,
      errorText,
    );
    const notice = this.registry.toOutgoing(event, {
      messageId: randomUUID(),
      correlationId: processId,
      causationId: target.messageId,
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
    error instanceof HopelessInputError ||
    (error instanceof NoActiveInstanceError && error.policy === 'dead-letter')
  );
}
