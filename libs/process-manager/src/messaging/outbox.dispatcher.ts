import { Injectable, Logger } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { ProcessStore } from '../persistence/process.store.js';
import { Clock } from '../runtime/clock.js';
import type { MessageMetadata } from './message-metadata.js';
import type { MessageKind } from './message-type.registry.js';

export interface Dispatchable {
  readonly kind: MessageKind;
  readonly type: string;
  readonly metadata: MessageMetadata;
  /** The message instance, metadata attached. */
  readonly message: object;
}

/**
 * Sends committed outbox messages to their bus and marks them dispatched. A send that throws is
 * recorded on its row (attempts, last_error) and left for the relay.
 */
@Injectable()
export class OutboxDispatcher {
  private readonly logger = new Logger(OutboxDispatcher.name);

  constructor(
    private readonly commandBus: CommandBus,
    private readonly eventBus: EventBus,
    private readonly store: ProcessStore,
    private readonly clock: Clock,
  ) {}

  async dispatch(messages: readonly Dispatchable[]): Promise<void> {
    const sent: string[] = [];
    for (const message of messages) {
      try {
        await this.send(message);
        sent.push(message.metadata.messageId);
      } catch (error) {
        this.logger.error(
          `Dispatch of ${message.kind} ${message.type} (${message.metadata.messageId}, process ${message.metadata.correlationId}) failed: ${String(error)}`,
        );
        await this.store.markDispatchFailed(message.metadata.messageId, errorText(error));
      }
    }
    await this.store.markDispatched(sent, this.clock.now());
  }

  /** Sends one message; `execute()` is awaited so a failing command handler is noticed. */
  async send({ kind, message }: Dispatchable): Promise<void> {
    if (kind === 'command') await this.commandBus.execute(message);
    else this.eventBus.publish(message);
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
