import { createHash, randomUUID } from 'node:crypto';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type amqp from 'amqplib';
import { MessageTypeRegistry } from '../definition/message-type.registry.js';
import { Clock } from '../kernel/clock.js';
import { describeError } from '../kernel/describe-error.js';
import { getMetadata, type MessageMetadata } from '../kernel/message-metadata.js';
import { messageTypeName } from '../kernel/message-type.js';
import { FailureStore } from '../ports/failure-store.js';
import { CqrsBuses } from '../runtime/cqrs-buses.js';
import type { Dispatchable } from '../runtime/dispatchable.js';
import { escapeText, storableJson, storableKeys } from '../runtime/failure-record.js';
import { MessageTransport, type TransportStatus } from '../runtime/message-transport.js';
import { OutboxDispatcher } from '../runtime/outbox.dispatcher.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { settlesWithin } from '../runtime/timeout.js';
import {
  AmqplibNotInstalledError,
  BrokerNotConnectedError,
  PublishNotConfirmedError,
  UnreadableDeliveryError,
} from './rabbitmq.errors.js';
import {
  RABBITMQ_TRANSPORT_OPTIONS,
  type ResolvedRabbitMqTransportOptions,
} from './rabbitmq-transport.options.js';

/** The `handler` of the dead letter of a delivery that could not be read (unknown type, bad JSON). */
export const UNREADABLE_DELIVERY_HANDLER = 'pm:transport:rabbitmq';

interface Link {
  readonly connection: amqp.ChannelModel;
  readonly publisher: amqp.ConfirmChannel;
  readonly consumer: amqp.Channel;
  consumerTag?: string;
  /** Rejects the publishes still waiting for their confirm: a link that dropped never confirms them. */
  readonly unconfirmed: Set<(reason: string) => void>;
  /** messageIds of mandatory publishes the broker returned (no queue bound): their confirm follows. */
  readonly returned: Set<string>;
}

/**
 * The RabbitMQ adapter of the `MessageTransport` port. Publishes persistent messages on a confirm
 * channel (resolving only once the broker confirmed), and consumes this service's durable queue with
 * manual acks: a delivery is acked only after the runner committed its step, found it a duplicate, or
 * recorded its failure; one that could not even be recorded is requeued after `requeueDelayMs`; one
 * that cannot be read is dead-lettered, then acked. Reconnects with backoff; broker errors are logged,
 * never thrown at the app.
 */
@Injectable()
export class RabbitMqTransport
  extends MessageTransport
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(RabbitMqTransport.name);
  private readonly published: ReadonlySet<string>;
  private readonly subscribed: readonly string[];
  private link: Link | undefined;
  /** Since when no link is up (from boot until the first one); undefined while one is. */
  private disconnectedSince: Date | undefined;
  private closing = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private connectedOnce!: () => void;
  private readonly connected = new Promise<void>((resolve) => (this.connectedOnce = resolve));
  private readonly sleepers = new Set<() => void>();
  private registry!: MessageTypeRegistry;
  private runner!: ProcessRunner;
  private buses!: CqrsBuses;
  private failures!: FailureStore;
  private clock!: Clock;
  private client!: typeof amqp;

  constructor(
    @Inject(RABBITMQ_TRANSPORT_OPTIONS) private readonly options: ResolvedRabbitMqTransportOptions,
    private readonly moduleRef: ModuleRef,
  ) {
    super();
    this.published = new Set(options.publish.map((type) => messageTypeName(type)));
    this.subscribed = options.subscribe.map((type) => messageTypeName(type));
  }

  /**
   * Loads amqplib (an optional peer, so the entry imports without it), looks up the ProcessManagerModule's
   * parts (global, not exported) and registers as its transport.
   */
  async onModuleInit(): Promise<void> {
    try {
      this.client = (await import('amqplib')).default;
    } catch (error) {
      throw new AmqplibNotInstalledError(error);
    }
    const get = <T>(type: abstract new (...args: never[]) => T): T =>
      this.moduleRef.get(type, { strict: false });
    this.registry = get(MessageTypeRegistry);
    this.runner = get(ProcessRunner);
    this.buses = get(CqrsBuses);
    this.failures = get(FailureStore);
    this.clock = get(Clock);
    for (const type of [...this.options.publish, ...this.options.subscribe]) this.registry.register(type);
    get(OutboxDispatcher).useTransport(this);
  }

  /** Connects in the background: a broker that is down at boot delays messages, never the app. */
  onApplicationBootstrap(): void {
    this.disconnectedSince = this.clock.now();
    this.loop = this.stayConnected();
  }

  /** Resolves once the first connection is up, the queue bound and consuming (tests, health). */
  whenConnected(): Promise<void> {
    return this.connected;
  }

  /** True while a connection is open. */
  isConnected(): boolean {
    return this.link !== undefined;
  }

  /** For the health indicator: connected, or since when not. */
  override status(): TransportStatus {
    const endpoint = redacted(this.options.url);
    if (this.link) return { name: 'rabbitmq', endpoint, connected: true };
    return { name: 'rabbitmq', endpoint, connected: false, disconnectedSince: this.disconnectedSince };
  }

  publishes(type: string): boolean {
    return this.published.has(type);
  }

  async publish({ kind, type, metadata, message }: Dispatchable): Promise<void> {
    const link = this.link;
    if (!link) throw new BrokerNotConnectedError(type, metadata.messageId, redacted(this.options.url));
    const headers: Record<string, string> = { type, occurredAt: toIso(metadata.occurredAt) };
    if (metadata.correlationId !== undefined) headers.correlationId = metadata.correlationId;
    if (metadata.causationId !== undefined) headers.causationId = metadata.causationId;
    if (metadata.traceparent !== undefined) headers.traceparent = metadata.traceparent;
    const body = Buffer.from(JSON.stringify(message));
    await new Promise<void>((resolve, reject) => {
      const fail = (reason: string) => {
        link.unconfirmed.delete(fail);
        reject(new PublishNotConfirmedError(type, metadata.messageId, reason));
      };
      link.unconfirmed.add(fail);
      try {
        link.publisher.publish(
          this.options.exchange,
          type,
          body,
          {
            persistent: true,
            // A command that no queue takes would be dropped: the broker returns it instead.
            mandatory: kind === 'command',
            messageId: metadata.messageId,
            type,
            contentType: 'application/json',
            correlationId: metadata.correlationId,
            timestamp: Math.floor(new Date(metadata.occurredAt).getTime() / 1000),
            headers,
          },
          (error: unknown) => {
            if (error) return fail(describeError(error));
            if (link.returned.delete(metadata.messageId))
              return fail(
                `no queue is bound to ${type} on exchange ${this.options.exchange}: is its consumer deployed?`,
              );
            link.unconfirmed.delete(fail);
            resolve();
          },
        );
      } catch (error) {
        fail(describeError(error));
      }
    });
  }

  /** Stops consuming, then waits (bounded) for the deliveries in flight to be acked. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.wakeUp();
    const link = this.link;
    if (link?.consumerTag) await link.consumer.cancel(link.consumerTag).catch(() => undefined);
    const idle = (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    })();
    if (!(await settlesWithin(idle, this.options.shutdownTimeoutMs)))
      this.logger.warn(
        `Shutdown: ${this.inFlight.size} deliveries still running after ${this.options.shutdownTimeoutMs} ms; ` +
          `unacked, the broker delivers them again`,
      );
  }

  /** Closes the connection after every other shutdown hook (the dispatcher's publishes) had its turn. */
  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.wakeUp();
    const link = this.link;
    this.linkDown();
    await link?.connection.close().catch(() => undefined);
    await this.loop;
  }

  private async stayConnected(): Promise<void> {
    let attempt = 0;
    while (!this.closing) {
      try {
        const { lost } = await this.open();
        attempt = 0;
        this.connectedOnce();
        await lost;
        if (!this.closing) this.logger.warn(`Connection to RabbitMQ lost; reconnecting`);
      } catch (error) {
        this.logger.error(
          `Could not connect to RabbitMQ at ${redacted(this.options.url)}: ${describeError(error)}`,
        );
      }
      if (this.closing) return;
      attempt += 1;
      const { initialDelayMs, maxDelayMs } = this.options.reconnect;
      await this.sleep(Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt - 1, 20)));
    }
  }

  /** Opens connection and channels, declares, consumes; `lost` resolves when the link ends. */
  private async open(): Promise<{ lost: Promise<void> }> {
    const connection = await this.client.connect(this.options.url);
    let end!: () => void;
    const lost = new Promise<void>((resolve) => (end = resolve));
    const unconfirmed = new Set<(reason: string) => void>();
    const drop = (what: string) => (error?: Error) => {
      for (const fail of [...unconfirmed]) fail(`${what} before the broker confirmed`);
      if (error && !this.closing) this.logger.warn(`RabbitMQ ${what}: ${describeError(error)}`);
      if (this.link?.connection === connection) this.linkDown();
      // A channel that failed leaves the connection half useful: close it and start over.
      if (what !== 'connection closed') connection.close().catch(() => undefined);
      end();
    };
    connection.on('error', (error: Error) =>
      this.logger.warn(`RabbitMQ connection error: ${describeError(error)}`),
    );
    connection.on('close', drop('connection closed'));
    try {
      const publisher = await connection.createConfirmChannel();
      publisher.on('error', (error: Error) =>
        this.logger.warn(`RabbitMQ publish channel: ${describeError(error)}`),
      );
      publisher.on('close', drop('publish channel closed'));
      const consumer = await connection.createChannel();
      consumer.on('error', (error: Error) =>
        this.logger.warn(`RabbitMQ consume channel: ${describeError(error)}`),
      );
      consumer.on('close', drop('consume channel closed'));
      const { exchange, queue, prefetch } = this.options;
      await publisher.assertExchange(exchange, 'topic', { durable: true });
      const link: Link = { connection, publisher, consumer, unconfirmed, returned: new Set() };
      publisher.on('return', (returned: amqp.Message) => {
        const id: unknown = returned.properties.messageId;
        if (typeof id === 'string') link.returned.add(id);
      });
      if (this.subscribed.length > 0) {
        await consumer.assertQueue(queue, { durable: true });
        for (const type of this.subscribed) await consumer.bindQueue(queue, exchange, type);
        await consumer.prefetch(prefetch);
        const { consumerTag } = await consumer.consume(queue, (delivery) => this.receive(link, delivery), {
          noAck: false,
        });
        link.consumerTag = consumerTag;
      }
      this.link = link;
      this.disconnectedSince = undefined;
      if (this.closing) await connection.close().catch(() => undefined);
      return { lost };
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  private linkDown(): void {
    this.link = undefined;
    this.disconnectedSince ??= this.clock.now();
  }

  private receive(link: Link, delivery: amqp.ConsumeMessage | null): void {
    if (!delivery) {
      this.logger.warn(`RabbitMQ cancelled the consumer of ${this.options.queue}; reconnecting`);
      link.connection.close().catch(() => undefined);
      return;
    }
    const work = this.handle(link, delivery).catch((error: unknown) =>
      this.logger.error(`RabbitMQ delivery handling failed: ${describeError(error)}`),
    );
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(link: Link, delivery: amqp.ConsumeMessage): Promise<void> {
    let message: object;
    try {
      message = this.read(delivery);
    } catch (error) {
      try {
        await this.deadLetter(delivery, error);
      } catch (writeError) {
        return this.requeue(link, delivery, writeError);
      }
      return this.settle(link, delivery, true);
    }
    try {
      await this.take(message);
    } catch (error) {
      return this.requeue(link, delivery, error);
    }
    this.settle(link, delivery, true);
  }

  /** The delivery rebuilt as an instance of its class, metadata attached; throws UnreadableDeliveryError. */
  private read(delivery: amqp.ConsumeMessage): object {
    const { properties, content } = delivery;
    const headers = (properties.headers ?? {}) as Record<string, unknown>;
    const messageId = typeof properties.messageId === 'string' ? properties.messageId : undefined;
    const unreadable = (problem: string) =>
      new UnreadableDeliveryError(this.options.queue, messageId ?? contentId(content), problem);
    const type = typeof properties.type === 'string' ? properties.type : headers.type;
    if (typeof type !== 'string' || type.length === 0) throw unreadable('it names no message type');
    if (!messageId) throw unreadable('it has no messageId, so it cannot be deduplicated');
    if (!this.subscribed.includes(type)) throw unreadable(`this service does not subscribe to ${type}`);
    let payload: unknown;
    try {
      payload = JSON.parse(content.toString('utf8'));
    } catch (error) {
      throw unreadable(`its body is not JSON (${describeError(error)})`);
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
      throw unreadable('its body is not a JSON object');
    const occurredAt = new Date(typeof headers.occurredAt === 'string' ? headers.occurredAt : Number.NaN);
    const metadata: MessageMetadata = {
      messageId,
      occurredAt: Number.isNaN(occurredAt.getTime()) ? this.clock.now() : occurredAt,
      ...(typeof headers.correlationId === 'string' ? { correlationId: headers.correlationId } : {}),
      ...(typeof headers.causationId === 'string' ? { causationId: headers.causationId } : {}),
      ...(typeof headers.traceparent === 'string' ? { traceparent: headers.traceparent } : {}),
    };
    try {
      return this.registry.fromPayload(type, payload, metadata);
    } catch (error) {
      throw unreadable(describeError(error));
    }
  }

  /**
   * An event goes through the runner like a local one (done once every route committed, skipped it as a
   * duplicate, or recorded its failure); a command to the CommandBus, a failing one parked as a dead
   * letter (retried by the operator). Rejects only when nothing could be recorded.
   */
  private async take(message: object): Promise<void> {
    if (this.registry.kindOf(message) === 'event') return this.runner.deliver(message);
    try {
      await this.buses.commandBus.execute(message);
    } catch (error) {
      const metadata = getMetadata(message)!;
      await this.runner.undeliverable({
        message: { kind: 'command', type: this.registry.nameOf(message), metadata, message },
        error: escapeText(describeError(error)),
        attempts: 1,
      });
    }
  }

  private async deadLetter(delivery: amqp.ConsumeMessage, error: unknown): Promise<void> {
    const now = this.clock.now();
    const alterations: string[] = [];
    const { properties, content } = delivery;
    const messageId = typeof properties.messageId === 'string' ? properties.messageId : contentId(content);
    const type = typeof properties.type === 'string' && properties.type ? properties.type : 'unknown';
    const keys = storableKeys(
      { handler: UNREADABLE_DELIVERY_HANDLER, messageType: type, messageId, correlationKey: undefined },
      alterations,
    );
    const raw = storableJson(
      { queue: this.options.queue, routingKey: delivery.fields.routingKey, body: content.toString('utf8') },
      'payload',
      alterations,
    ) as Record<string, unknown>;
    const reason = escapeText(describeError(error));
    await this.failures.recordFailure({
      id: randomUUID(),
      ...keys,
      processId: undefined,
      payload: raw,
      metadata: { messageId: keys.messageId, occurredAt: now },
      status: 'dead',
      attempts: 1,
      error: reason,
      stack: undefined,
      firstFailedAt: now,
      lastFailedAt: now,
      nextAttemptAt: undefined,
    });
    this.logger.error(`Dead-lettered an unreadable delivery: ${reason}`);
  }

  /** Not even a failure could be recorded (the database is away): back to the queue, after a pause. */
  private async requeue(link: Link, delivery: amqp.ConsumeMessage, error: unknown): Promise<void> {
    this.logger.warn(
      `Delivery ${delivery.properties.messageId ?? '-'} not recorded (${describeError(error)}); ` +
        `requeued in ${this.options.requeueDelayMs} ms`,
    );
    await this.sleep(this.options.requeueDelayMs);
    this.settle(link, delivery, false);
  }

  private settle(link: Link, delivery: amqp.ConsumeMessage, ack: boolean): void {
    try {
      if (ack) link.consumer.ack(delivery);
      else link.consumer.nack(delivery, false, true);
    } catch {
      // The channel closed meanwhile: the broker redelivers the message, and the inbox dedupes it.
    }
  }

  /** Waits `ms`, or less when shutdown starts. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private wakeUp(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}

function toIso(value: Date | string): string {
  return new Date(value).toISOString();
}

/** A stable id for a delivery without a messageId: the same body dead-letters once. */
function contentId(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

function redacted(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
