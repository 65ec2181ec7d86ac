import { Inject, Injectable, Logger } from '@nestjs/common';
import { OutboxStore } from '../ports/outbox-store.js';
import { RESOLVED_OPTIONS } from '../kernel/constants.js';
import type { ResolvedProcessManagerOptions } from '../kernel/options.js';
import { backoffDelay } from '../kernel/backoff.js';
import { Clock } from '../kernel/clock.js';
import { CqrsBuses } from './cqrs-buses.js';
import { DispatchMarker } from './dispatch-marker.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import type { MessageKind } from '../kernel/outgoing-message.js';

export interface Dispatchable {
  readonly kind: MessageKind;
  readonly type: string;
  readonly metadata: MessageMetadata;
  /** The message instance, metadata attached. */
  readonly message: object;
  /** Failed sends so far (0 on the fast path). */
  readonly attempts?: number;
}

export interface DispatchFailure {
  readonly message: Dispatchable;
  readonly error: string;
}

/**
 * Sends committed outbox messages to their bus and marks them dispatched. A send that throws is
 * recorded on its row (attempts, last_error, when to try again) and left for the relay; when its
 * attempts run out the row is parked and the failure returned, so the caller can tell the process.
 */
@Injectable()
export class OutboxDispatcher {
  private readonly logger = new Logger(OutboxDispatcher.name);
  private readonly marker = new DispatchMarker((ids) => this.store.markDispatched(ids, this.clock.now()));

  constructor(
    private readonly buses: CqrsBuses,
    private readonly store: OutboxStore,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
  ) {}

  /** Sends in order; returns the messages whose attempts ran out. */
  async dispatch(messages: readonly Dispatchable[]): Promise<DispatchFailure[]> {
    const sent: string[] = [];
    const exhausted: DispatchFailure[] = [];
    for (const message of messages) {
      try {
        await this.send(message);
        sent.push(message.metadata.messageId);
      } catch (error) {
        const failure = await this.recordFailure(message, error);
        if (failure) exhausted.push(failure);
      }
    }
    await this.marker.mark(sent);
    return exhausted;
  }

  /** Sends one message; `execute()` is awaited so that a failing command handler is noticed. */
  async send({ kind, message }: Dispatchable): Promise<void> {
    if (kind === 'command') await this.buses.commandBus.execute(message);
    else this.buses.eventBus.publish(message);
  }

  private async recordFailure(message: Dispatchable, error: unknown): Promise<DispatchFailure | undefined> {
    const attempts = (message.attempts ?? 0) + 1;
    const givingUp = attempts >= this.options.retry.maxAttempts;
    const now = this.clock.now();
    const retryAt = givingUp ? null : new Date(now.getTime() + backoffDelay(attempts, this.options.retry));
    const text = errorText(error);
    this.logger.error(
      `Dispatch of ${message.kind} ${message.type} ${message.metadata.messageId} (process ${message.metadata.correlationId}) ` +
        `failed, attempt ${attempts}${givingUp ? ', giving up' : ''}: ${text}`,
    );
    await this.store.markDispatchFailed(message.metadata.messageId, text, retryAt, now);
    return givingUp ? { message, error: text } : undefined;
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
