import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type Type,
} from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { getMetadata, withMetadata } from 'nestjs-process-manager';
import { IsNull, Repository } from 'typeorm';
import { replyIdFor } from '../common/reply-id.js';
import { type ResolvedSampleOptions, SAMPLE_OPTIONS } from '../sample-options.js';
import { FakeServiceRequest } from './fake-service-request.entity.js';

/** How a fake service answers a command: with an event, or `undefined` to never answer (a timeout). */
export type Responder<C> = (command: C) => Promise<object | undefined>;

interface RegisteredResponder {
  type: Type;
  respond: Responder<object>;
}

/**
 * Plays the downstream systems (payment provider, warehouse, …): a command is written down and
 * answered with an event after a delay. Requests are kept in PostgreSQL, so a restart of the app
 * loses none of them: pending ones are answered after boot, as a real remote service would.
 */
@Injectable()
export class FakeDownstream implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FakeDownstream.name);
  private readonly responders = new Map<string, RegisteredResponder>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private closing = false;

  constructor(
    @InjectRepository(FakeServiceRequest) private readonly requests: Repository<FakeServiceRequest>,
    private readonly eventBus: EventBus,
    @Inject(SAMPLE_OPTIONS) private readonly options: ResolvedSampleOptions,
  ) {}

  /** Registers the answer to one command type. */
  answer<C extends object>(type: Type<C>, respond: Responder<C>): void {
    this.responders.set(type.name, { type, respond: respond as Responder<object> });
  }

  /** Accepts a command: answered after the configured delay. A command seen before is ignored. */
  async accept(command: object): Promise<void> {
    const metadata = getMetadata(command);
    const id = metadata?.messageId ?? randomUUID();
    const dueAt = new Date(Date.now() + this.delay());
    const inserted: unknown[] = await this.requests.query(
      `INSERT INTO fake_service_requests (id, command_type, payload, correlation_id, due_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [id, command.constructor.name, JSON.stringify(command), metadata?.correlationId ?? null, dueAt],
    );
    if (inserted.length > 0) this.answerAt(id, dueAt);
  }

  /** Picks up requests left unanswered by a previous run. */
  async onApplicationBootstrap(): Promise<void> {
    const unanswered = await this.requests.find({ where: { answeredAt: IsNull() }, order: { dueAt: 'ASC' } });
    if (unanswered.length > 0)
      this.logger.log(`Resuming ${unanswered.length} unanswered downstream request(s)`);
    for (const request of unanswered) this.answerAt(request.id, request.dueAt);
  }

  onModuleDestroy(): void {
    this.closing = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private answerAt(id: string, dueAt: Date): void {
    const timer = setTimeout(() => void this.answerNow(id), Math.max(0, dueAt.getTime() - Date.now()));
    this.pending.set(id, timer);
  }

  private async answerNow(id: string): Promise<void> {
    this.pending.delete(id);
    try {
      const request = await this.requests.findOneBy({ id, answeredAt: IsNull() });
      if (!request || this.closing) return;
      const responder = this.responders.get(request.commandType);
      if (!responder) {
        this.logger.warn(`No fake service answers ${request.commandType} (request ${id})`);
        return;
      }
      const command = Object.assign(
        Object.create(responder.type.prototype as object) as object,
        request.payload,
      );
      const reply = await responder.respond(command);
      // A reply published into an app that is shutting down could be lost; answer it after the restart.
      if (this.closing) return;
      if (reply) {
        this.eventBus.publish(
          withMetadata(reply, {
            messageId: replyIdFor(id),
            correlationId: request.correlationId ?? undefined,
            causationId: id,
            occurredAt: new Date(),
          }),
        );
      }
      await this.requests.update({ id }, { answeredAt: new Date() });
    } catch (error) {
      if (!this.closing) this.logger.error(`Answering downstream request ${id} failed: ${String(error)}`);
    }
  }

  private delay(): number {
    const { min, max } = this.options.serviceDelayMs;
    return Math.round(min + Math.random() * (max - min));
  }
}
