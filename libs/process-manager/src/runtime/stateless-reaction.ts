import { Injectable } from '@nestjs/common';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import type { StatelessRoute } from '../definition/process-definition.js';
import { Clock } from '../kernel/clock.js';
import { outgoingMessageId } from '../kernel/message-id.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import { StepStore } from '../ports/step-store.js';
import type { Dispatchable } from './dispatchable.js';
import { OutboxDispatcher } from './outbox.dispatcher.js';

/**
 * A stateless `@OnEvent` handler's delivery: what it returns is sent on, linked to the event that
 * caused it. A durable reaction dedupes by messageId and commits its messages to the outbox together
 * with its inbox mark; a non-durable one sends them at once.
 */
@Injectable()
export class StatelessReaction {
  constructor(
    private readonly steps: StepStore,
    private readonly dispatcher: OutboxDispatcher,
    private readonly registry: MessageTypeRegistry,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs the handler; resolves to the committed messages still to send (none for a duplicate). A known
   * duplicate does not run the handler; `unseen` (a messageId minted for this delivery) skips that lookup.
   */
  async run(
    route: StatelessRoute,
    event: object,
    cause: MessageMetadata,
    unseen: boolean,
  ): Promise<Dispatchable[]> {
    if (route.durable && !unseen && (await this.steps.hasHandled(route.name, cause.messageId))) return [];
    const returned = await route.invoke(event);
    const messages = [returned]
      .flat()
      .filter((message): message is object => typeof message === 'object' && message !== null)
      .map((message, index) => this.outgoing(message, route.name, cause, index));
    if (!route.durable) {
      // No outbox row to retry from: a failed send is the handler's failure (retried, then dead-lettered).
      for (const message of messages) await this.dispatcher.send(message);
      return [];
    }
    const records = messages.map(({ message: _message, ...record }) => ({ ...record, processId: null }));
    if (!(await this.steps.commitReaction(route.name, cause.messageId, records, this.clock.now()))) return [];
    return messages.map((message) => ({ ...message, processId: null }));
  }

  private outgoing(message: object, source: string, cause: MessageMetadata, index: number) {
    return this.registry.toOutgoing(message, {
      messageId: outgoingMessageId(source, cause.messageId, index),
      correlationId: cause.correlationId ?? cause.messageId,
      causationId: cause.messageId,
      occurredAt: this.clock.now(),
    });
  }
}
