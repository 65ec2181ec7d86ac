import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import { ProcessDeadLettered } from '../events/process-lifecycle.events.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import { Clock } from '../kernel/clock.js';
import { messageTypeName } from '../kernel/message-type.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import type { MessageKind } from '../kernel/outgoing-message.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import { FailureStore } from '../ports/failure-store.js';
import { OutboxStore } from '../ports/outbox-store.js';
import { ProcessTelemetry } from '../telemetry/process-telemetry.js';
import type { FailureRecord } from '../ports/records.js';
import type { DispatchFailure } from './dispatchable.js';
import { escapeText, storableJson, storableKeys } from './failure-record.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';

/** The `handler` of the dead letter of a message that could not be dispatched, by the message's kind. */
const UNDELIVERABLE_HANDLERS: Record<MessageKind, string> = {
  command: 'pm:dispatch:command',
  event: 'pm:dispatch:event',
};

/** True for the dead letter of a message that could not be dispatched (retrying it re-sends it). */
export function isUndeliverable(deadLetter: Pick<FailureRecord, 'handler'>): boolean {
  return Object.values(UNDELIVERABLE_HANDLERS).includes(deadLetter.handler);
}

/**
 * Messages whose dispatch attempts ran out. Each is parked as a dead letter (visible in `deadLetters()`,
 * re-sent by `retryDeadLetter()` / `retry(processId)`), logged, and, when a process sent it, marked on
 * the instance (`lastError`) and announced (`ProcessDeadLettered`) — whatever the instance's status,
 * so a command that can never leave is never lost silently, not even after its process ended.
 */
@Injectable()
export class UndeliverableMessages {
  private readonly logger = new Logger(UndeliverableMessages.name);

  constructor(
    private readonly failures: FailureStore,
    private readonly outbox: OutboxStore,
    private readonly registry: MessageTypeRegistry,
    private readonly dispatcher: OutboxDispatcher,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
    private readonly telemetry: ProcessTelemetry,
  ) {}

  /**
   * Parks `failure` as a dead letter. `instance` is its sender as it is now (after it was told, if it
   * was live): its `lastError` is set unless it already holds one (its own handling of the failure).
   */
  async park({ message, error, attempts }: DispatchFailure, instance: ProcessInstance | null): Promise<void> {
    this.telemetry.undeliverable(message);
    const now = this.clock.now();
    const alterations: string[] = [];
    const reason = escapeText(`dispatch of ${message.type} failed after ${attempts} attempt(s): ${error}`);
    const keys = storableKeys(
      {
        handler: UNDELIVERABLE_HANDLERS[message.kind],
        messageType: message.type,
        messageId: message.metadata.messageId,
        correlationKey: instance?.correlationKey,
      },
      alterations,
    );
    const metadata = storableJson(message.metadata, 'metadata', alterations);
    await this.failures.recordFailure({
      id: randomUUID(),
      ...keys,
      processId: instance?.id ?? message.processId ?? undefined,
      payload: storableJson(message.message, 'payload', alterations) as Record<string, unknown>,
      metadata: alterations.length > 0 ? (metadata as MessageMetadata) : message.metadata,
      status: 'dead',
      attempts,
      error: reason,
      stack: undefined,
      firstFailedAt: now,
      lastFailedAt: now,
      nextAttemptAt: undefined,
    });
    const sender = instance ? `${instance.type} ${instance.id} (${instance.status})` : 'no process';
    this.logger.error(
      `${message.kind} ${message.type} ${message.metadata.messageId} of ${sender} dead-lettered: ${reason}`,
    );
    if (!instance) return;
    if (!instance.lastError) await this.failures.setLastError(instance.id, reason);
    if (message.type !== messageTypeName(ProcessDeadLettered))
      await this.announce(instance, message.type, reason, now);
  }

  /**
   * Sends a parked message once more. Gone on success (and the `lastError` it left cleared); on failure
   * it is parked again with the new error.
   */
  async retry(deadLetter: FailureRecord): Promise<void> {
    const kind = deadLetter.handler === UNDELIVERABLE_HANDLERS.command ? 'command' : 'event';
    const sent = await this.dispatcher.dispatch([
      {
        kind,
        type: deadLetter.messageType,
        metadata: deadLetter.metadata,
        message: this.registry.fromPayload(deadLetter.messageType, deadLetter.payload, deadLetter.metadata),
        processId: deadLetter.processId ?? null,
        // One more failure gives up at once: this is an operator's single retry.
        attempts: Math.max(deadLetter.attempts, this.options.retry.maxAttempts - 1),
      },
    ]);
    if (sent === 0) return;
    await this.failures.resolveFailure(deadLetter.handler, deadLetter.messageId, this.clock.now());
    if (deadLetter.processId) await this.failures.clearLastError(deadLetter.processId, deadLetter.error);
  }

  private async announce(instance: ProcessInstance, messageType: string, reason: string, now: Date) {
    const event = new ProcessDeadLettered(
      instance.id,
      instance.type,
      instance.correlationKey,
      messageType,
      reason,
    );
    const notice = this.registry.toOutgoing(event, {
      messageId: randomUUID(),
      correlationId: instance.id,
      occurredAt: now,
    });
    const { message: _message, ...record } = notice;
    await this.outbox.enqueue([{ ...record, processId: instance.id }], now);
    await this.dispatcher.dispatch([{ ...notice, processId: instance.id, processType: instance.type }]);
  }
}
