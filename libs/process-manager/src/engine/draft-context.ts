import type { ICommand, IEvent } from '@nestjs/cqrs';
import { InvalidContextCallError, InvalidCorrelationValueError } from '../errors/index.js';
import { describeValue } from '../errors/describe-value.js';
import type { MessageMetadata } from '../kernel/message-metadata.js';
import { parseDuration, timestampProblem } from '../kernel/duration.js';
import type { ProcessContext, ProcessStatus, ScheduleWhen } from '../kernel/process-context.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import { clonePlainJson, isPlainObject } from '../kernel/plain-json.js';
import { correlationKeyOf, MAX_NAME_LENGTH, nameProblem, textProblem } from '../kernel/text-rules.js';

export interface DraftTimer {
  message: IEvent;
  dueAt: Date;
  name: string | undefined;
}

/**
 * The `ProcessContext` a handler runs against: it only records what the handler asks for, and
 * refuses at the call what the instance could never store (a named, hopeless error: dead-lettered).
 */
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
    this.state = clonePlainJson(instance.state) as S;
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
    this.sent.push({ kind: 'command', message: this.checkMessage('send()', command) });
  }

  publish(event: IEvent): void {
    this.sent.push({ kind: 'event', message: this.checkMessage('publish()', event) });
  }

  schedule(message: IEvent, when: ScheduleWhen, name?: string): void {
    this.checkMessage('schedule()', message);
    if (name !== undefined) this.checkName('schedule()', 'the name', name);
    this.assertDeliverable(message);
    const dueAt = this.dueAt(when);
    if (name !== undefined) this.dropScheduled(name);
    this.scheduled.push({ message, dueAt, name });
  }

  cancelSchedule(name: string): void {
    this.checkName('cancelSchedule()', 'the name', name);
    this.dropScheduled(name);
    this.cancelled.push(name);
  }

  associate(key: string, value: string): void {
    this.checkName('associate()', 'the key', key);
    const { key: stored, problem } = correlationKeyOf(value);
    if (problem !== undefined) {
      throw new InvalidCorrelationValueError(this.processType, `ctx.associate()`, key, problem);
    }
    this.associations.push({ key, value: stored });
  }

  transitionTo(stateName: string): void {
    this.checkName('transitionTo()', 'the state name', stateName);
    this.stateName = stateName;
  }

  complete(): void {
    this.status = 'completed';
  }

  fail(reason: string | Error): void {
    const text: unknown = reason instanceof Error ? reason.message : reason;
    if (text !== undefined && typeof text !== 'string') {
      throw this.invalid('fail()', `the reason ${describeValue(text)}: pass a string or an Error`);
    }
    const problem = text === undefined ? undefined : textProblem(text);
    if (problem) throw this.invalid('fail()', `a reason that ${problem}`);
    this.status = 'failed';
    this.lastError = text;
  }

  now(): Date {
    return this.clock();
  }

  private dueAt(when: ScheduleWhen): Date {
    if (typeof when !== 'object' || when === null || !('at' in when || 'after' in when)) {
      throw this.invalid('schedule()', `when ${describeValue(when)}: pass { after: '30s' } or { at: date }`);
    }
    const at: unknown = 'at' in when ? when.at : new Date(this.now().getTime() + parseDuration(when.after));
    const problem = timestampProblem(at);
    if (problem === undefined) return at as Date;
    const given = 'at' in when ? `{ at: ${describeValue(at)} }` : `{ after: ${describeValue(when.after)} }`;
    throw this.invalid('schedule()', `${given}: the due time ${problem}`);
  }

  private checkMessage(call: string, message: unknown): object {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw this.invalid(call, `${describeValue(message)}: pass an instance of a message class`);
    }
    if (isPlainObject(message)) {
      throw this.invalid(call, 'a plain object: pass an instance of a message class (its name is its type)');
    }
    return message;
  }

  private checkName(call: string, what: string, value: unknown): void {
    const problem = nameProblem(value, MAX_NAME_LENGTH);
    if (problem) throw this.invalid(call, `${what} ${describeValue(value)}, which ${problem}`);
  }

  private invalid(call: string, reason: string): InvalidContextCallError {
    return new InvalidContextCallError(this.processType, call, reason);
  }

  private dropScheduled(name: string): void {
    const index = this.scheduled.findIndex((timer) => timer.name === name);
    if (index >= 0) this.scheduled.splice(index, 1);
  }
}
