import type { ICommand, IEvent } from '@nestjs/cqrs';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import { parseDuration } from '../kernel/duration.js';
import type { ProcessContext, ProcessStatus, ScheduleWhen } from '../kernel/process-context.js';
import type { ProcessInstance } from '../kernel/process-instance.js';

export interface DraftTimer {
  message: IEvent;
  dueAt: Date;
  name: string | undefined;
}

/** The `ProcessContext` a handler runs against: it only records what the handler asks for. */
export class DraftContext<S extends object = object> implements ProcessContext<S> {
  state: S;
  status: ProcessStatus;
  stateName: string | undefined;
  lastError: string | undefined;
  /** Set with a `'failed'` status when an operator must act (a saga's compensation failed): see `ProcessFailed`. */
  requiresIntervention = false;
  /** Explains the step in its history entry (an orchestrated saga records its step transitions here). */
  note: string | undefined;
  readonly sent: { kind: 'command' | 'event'; message: object }[] = [];
  readonly scheduled: DraftTimer[] = [];
  readonly cancelled: string[] = [];
  readonly associations: { key: string; value: string }[] = [];

  constructor(
    readonly instance: ProcessInstance,
    readonly isNew: boolean,
    readonly metadata: MessageMetadata,
    private readonly clock: () => Date,
    /** Throws when the process could never receive `message` (checked at the `schedule()` call). */
    private readonly assertDeliverable: (message: object) => void,
  ) {
    this.state = structuredClone(instance.state) as S;
    this.status = instance.status;
    this.stateName = instance.stateName;
    this.lastError = instance.lastError;
  }

  get processId(): string {
    return this.instance.id;
  }

  get processType(): string {
    return this.instance.type;
  }

  get correlationKey(): string {
    return this.instance.correlationKey;
  }

  send(command: ICommand): void {
    this.sent.push({ kind: 'command', message: command });
  }

  publish(event: IEvent): void {
    this.sent.push({ kind: 'event', message: event });
  }

  schedule(message: IEvent, when: ScheduleWhen, name?: string): void {
    this.assertDeliverable(message);
    const dueAt = 'at' in when ? when.at : new Date(this.now().getTime() + parseDuration(when.after));
    if (name !== undefined) this.dropScheduled(name);
    this.scheduled.push({ message, dueAt, name });
  }

  cancelSchedule(name: string): void {
    this.dropScheduled(name);
    this.cancelled.push(name);
  }

  associate(key: string, value: string): void {
    this.associations.push({ key, value: String(value) });
  }

  transitionTo(stateName: string): void {
    this.stateName = stateName;
  }

  complete(): void {
    this.status = 'completed';
  }

  fail(reason: string | Error): void {
    this.status = 'failed';
    this.lastError = reason instanceof Error ? reason.message : reason;
  }

  now(): Date {
    return this.clock();
  }

  private dropScheduled(name: string): void {
    const index = this.scheduled.findIndex((timer) => timer.name === name);
    if (index >= 0) this.scheduled.splice(index, 1);
  }
}
