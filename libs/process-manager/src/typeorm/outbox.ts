import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { OutboxStore } from '../ports/outbox-store.js';
import { TypeOrmProcessStore } from './typeorm-process.store.js';
import { Clock } from '../kernel/clock.js';
import type { OutgoingMessage } from '../kernel/outgoing-message.js';
import { getMetadata } from '../kernel/message-metadata.js';
import { activeTraceparent } from '../telemetry/trace-parent.js';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import type { Dispatchable } from '../runtime/dispatchable.js';
import { OutboxDispatcher } from '../runtime/outbox.dispatcher.js';

/**
 * The transactional outbox for the app's own code: messages written with the caller's TypeORM
 * transaction, dispatched only after it commits (dropped if it rolls back). Business change and
 * message are saved together or not at all; a crash after commit leaves them to the relay.
 *
 * ```ts
 * await dataSource.transaction(async (manager) => {
 *   await manager.save(order);
 *   await outbox.send(manager, new OrderPlaced(order.id));
 * });
 * ```
 */
@Injectable()
export class Outbox implements OnModuleInit {
  private readonly logger = new Logger(Outbox.name);
  private readonly afterCommit = new WeakMap<QueryRunner, Dispatchable[]>();

  constructor(
    private readonly store: OutboxStore,
    private readonly dispatcher: OutboxDispatcher,
    private readonly registry: MessageTypeRegistry,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    if (this.store instanceof TypeOrmProcessStore)
      this.store.dataSourceInUse.subscribers.push(this.subscriber());
  }

  /**
   * Writes messages to the outbox in `manager`'s transaction. A class with a `@CommandHandler()` goes
   * to the CommandBus, anything else to the EventBus. Metadata already attached is kept.
   */
  async send(manager: EntityManager, ...messages: object[]): Promise<void> {
    const outgoing = messages.map((message) => this.toDispatchable(message));
    const records = outgoing.map(({ message: _message, ...record }) => ({ ...record, processId: null }));
    await this.store.enqueue(records, this.clock.now(), manager);
    const transaction = manager.queryRunner;
    if (transaction?.isTransactionActive) {
      this.afterCommit.set(transaction, [...(this.afterCommit.get(transaction) ?? []), ...outgoing]);
    } else {
      await this.dispatcher.dispatch(outgoing);
    }
  }

  private toDispatchable(message: object): OutgoingMessage {
    const existing = getMetadata(message);
    const messageId = existing?.messageId ?? randomUUID();
    return this.registry.toOutgoing(message, {
      ...existing,
      messageId,
      correlationId: existing?.correlationId ?? messageId,
      occurredAt: existing?.occurredAt ?? this.clock.now(),
      ...(existing?.traceparent === undefined && traceOf()),
    });
  }

  private subscriber(): EntitySubscriberInterface {
    return {
      afterTransactionCommit: ({ queryRunner }) => {
        const pending = this.afterCommit.get(queryRunner);
        if (!pending) return;
        this.afterCommit.delete(queryRunner);
        void this.dispatcher.dispatch(pending).catch((error: unknown) => {
          this.logger.error(`Dispatch after commit failed; the relay will retry: ${String(error)}`);
        });
      },
      afterTransactionRollback: ({ queryRunner }) => {
        this.afterCommit.delete(queryRunner);
      },
    };
  }
}

/** The active span's trace context, so a message the app writes continues the request's trace. */
function traceOf(): { traceparent?: string } {
  const traceparent = activeTraceparent();
  return traceparent === undefined ? {} : { traceparent };
}
