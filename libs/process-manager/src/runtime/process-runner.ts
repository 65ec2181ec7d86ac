import { randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { EventBus, UnhandledExceptionBus } from '@nestjs/cqrs';
import { catchError, defer, EMPTY, filter, mergeMap, type Subscription } from 'rxjs';
import type { StatefulRoute, StatelessRoute } from '../definition/process-definition.js';
import { RoutingTable } from '../definition/routing-table.js';
import { correlate, decide, type EngineEnvironment } from '../engine/process-engine.js';
import { ConcurrencyConflictError, ConflictRetriesExhaustedError } from '../errors/index.js';
import { outgoingMessageId } from '../messaging/message-id.js';
import { getMetadata, type MessageMetadata, withMetadata } from '../messaging/message-metadata.js';
import { MessageTypeRegistry } from '../messaging/message-type.registry.js';
import { OutboxDispatcher } from '../messaging/outbox.dispatcher.js';
import { ProcessStore } from '../persistence/process.store.js';
import { RESOLVED_OPTIONS } from '../process-manager.internal-constants.js';
import type { ResolvedProcessManagerOptions } from '../process-manager.options.js';
import { Clock } from './clock.js';
import { InstanceQueue } from './instance-queue.js';

/**
 * The path of one event: EventBus → routes → correlate → load → engine → commit → dispatch.
 * Every step of it is in this file, top to bottom.
 */
@Injectable()
export class ProcessRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ProcessRunner.name);
  private readonly queue = new InstanceQueue();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly env: EngineEnvironment;
  private subscription?: Subscription;
  /** Non-start events that found no instance and were ignored (`onMissing: 'ignore'`). */
  missingInstanceCount = 0;

  constructor(
    private readonly eventBus: EventBus,
    private readonly unhandledExceptions: UnhandledExceptionBus,
    private readonly routes: RoutingTable,
    private readonly store: ProcessStore,
    private readonly dispatcher: OutboxDispatcher,
    private readonly registry: MessageTypeRegistry,
    private readonly clock: Clock,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedProcessManagerOptions,
  ) {
    this.env = {
      now: () => this.clock.now(),
      newId: randomUUID,
      nameOf: (message) => this.registry.nameOf(message),
      toPayload: (message) => this.registry.toPayload(message),
    };
  }

  onApplicationBootstrap(): void {
    this.subscription = this.eventBus
      .pipe(
        filter((event: object) => this.routes.handles(this.registry.nameOf(event))),
        mergeMap((event: object) =>
          defer(() => this.track(this.handle(event))).pipe(catchError(() => EMPTY)),
        ),
      )
      .subscribe();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Delivers one event to every route that wants it; a failing route never stops the others. */
  async handle(event: object): Promise<void> {
    const metadata = this.metadataOf(event);
    const routes = this.routes.routesFor(this.registry.nameOf(event));
    const results = await Promise.allSettled(
      routes.map((route) =>
        route.kind === 'stateful' ? this.deliver(route, event, metadata) : this.react(route, event, metadata),
      ),
    );
    for (const result of results) {
      if (result.status === 'rejected') this.report(event, metadata, result.reason);
    }
  }

  /** A stateful route: one instance, serialised per correlation value inside this app. */
  private async deliver(route: StatefulRoute, event: object, metadata: MessageMetadata): Promise<void> {
    const correlationKey = correlate(route, event);
    const committed = await this.queue.run(`${route.process.name}\u0000${correlationKey}`, () =>
      this.step(route, event, metadata, correlationKey),
    );
    if (committed) await this.dispatcher.dispatch(committed.outgoing);
  }

  /** Load → decide → commit, re-run from a fresh load when another writer won the race. */
  private async step(route: StatefulRoute, event: object, metadata: MessageMetadata, correlationKey: string) {
    for (let attempt = 1; ; attempt++) {
      const { instance, handled } = await this.store.load({
        type: route.process.name,
        correlationKey,
        associationKey: route.associationKey,
        messageId: metadata.messageId,
      });
      if (handled) {
        this.logger.debug(
          `${route.process.name} ${correlationKey}: ${route.messageType} ${metadata.messageId} already handled`,
        );
        return undefined;
      }
      if (!instance && !route.start) {
        this.onMissingInstance(route, correlationKey, metadata);
        return undefined;
      }
      const decision = await decide({ route, event, metadata, correlationKey, instance }, this.env);
      try {
        await this.store.commit(decision);
        return decision;
      } catch (error) {
        if (!(error instanceof ConcurrencyConflictError)) throw error;
        if (attempt > this.options.conflictRetries) {
          throw new ConflictRetriesExhaustedError(route.process.name, correlationKey, attempt);
        }
      }
    }
  }

  /** A stateless route: the handler's return value is sent on, linked to the event that caused it. */
  private async react(route: StatelessRoute, event: object, cause: MessageMetadata): Promise<void> {
    const returned = await route.invoke(event);
    const messages = [returned]
      .flat()
      .filter((message): message is object => typeof message === 'object' && message !== null);
    await this.dispatcher.dispatch(
      messages.map((message, index) => {
        const metadata: MessageMetadata = {
          messageId: outgoingMessageId(route.name, cause.messageId, index),
          correlationId: cause.correlationId ?? cause.messageId,
          causationId: cause.messageId,
          occurredAt: this.clock.now(),
        };
        return {
          kind: this.registry.kindOf(message),
          type: this.registry.nameOf(message),
          metadata,
          message: withMetadata(message, metadata),
        };
      }),
    );
  }

  private onMissingInstance(route: StatefulRoute, correlationKey: string, metadata: MessageMetadata): void {
    this.missingInstanceCount++;
    this.logger.warn(
      `${route.process.name} ${correlationKey}: no active instance for ${route.messageType} ${metadata.messageId}; ` +
        `ignored (onMissing: '${route.onMissing}')`,
    );
  }

  /** Events published without metadata get a fresh messageId here, once, shared by every route. */
  private metadataOf(event: object): MessageMetadata {
    const metadata = getMetadata(event);
    if (metadata?.messageId) return metadata;
    return getMetadata(
      withMetadata(event, { messageId: randomUUID(), occurredAt: this.clock.now(), ...metadata }),
    )!;
  }

  private report(event: object, metadata: MessageMetadata, error: unknown): void {
    this.logger.error(
      `${this.registry.nameOf(event)} ${metadata.messageId} failed: ${error instanceof Error ? error.message : String(error)}`,
      error instanceof Error ? error.stack : undefined,
    );
    this.unhandledExceptions.publish({ cause: event, exception: error });
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }
}
