import type { Type } from '@nestjs/common';
import { messageTypeName } from '../kernel/message-type.js';
import { DraftContext } from '../engine/draft-context.js';
import type { ProcessContext, ProcessStatus } from '../kernel/process-context.js';
import { ProcessCompensated } from '../events/process-lifecycle.events.js';
import { SagaOutsideEngineError } from './saga.errors.js';
import {
  activeStep,
  attemptLabel,
  attemptsOf,
  exchangeOf,
  phaseOf,
  type SagaProgram,
  type StepAt,
  stepAt,
} from './saga-program.js';
import { retryDelay } from './saga-step.js';
import type { SagaCompensationSent } from './saga-compensation-sent.js';
import { isSagaState, type SagaState, type SagaStepStatus } from './saga-state.js';
import {
  type SagaPhase,
  STEP_RETRY_TIMER,
  STEP_TIMEOUT_TIMER,
  SagaStepRetryDue,
  SagaStepTimedOut,
} from './saga-timers.js';

/**
 * The saga interpreter for one message: it reads the step statuses from `ctx.state`, decides, and acts
 * only through the context (send, schedule, status), so the engine commits it like any handler.
 * What it changed goes into the history entry's note.
 */
export class SagaRun<D extends object> {
  private readonly ctx: DraftContext<SagaState<D>>;
  private readonly notes: string[] = [];

  constructor(
    private readonly program: SagaProgram<D>,
    ctx: ProcessContext<SagaState<D>>,
  ) {
    if (!(ctx instanceof DraftContext)) throw new SagaOutsideEngineError(program.className);
    this.ctx = ctx;
  }

  private get state(): SagaState<D> {
    return this.ctx.state;
  }

  /** Sets the data and starts the first step that runs. A second call on one instance is a no-op. */
  begin(data: D): void {
    if (isSagaState(this.state)) return this.note('begin() ignored: the saga has begun already');
    this.ctx.state = {
      data,
      steps: this.program.steps.map(({ name }) => ({
        name,
        status: 'pending',
        attempts: 0,
        compensationAttempts: 0,
      })),
    };
    this.runFrom(0);
  }

  /** A reply or a cancel event. Anything the step in flight does not expect changes nothing. */
  receive(event: object): void {
    const type = event.constructor as Type;
    const active = this.active();
    const phase = active ? phaseOf(active) : 'action';
    const exchange = active && exchangeOf(active, phase);
    if (active && exchange?.success.includes(type)) return this.succeeded(active, phase, event);
    if (active && exchange?.failure.includes(type)) return this.attemptFailed(active, phase, describe(event));
    if (this.program.cancelOn.includes(type)) return this.cancel(describe(event));
    const where = active ? `${active.step.name} is ${active.state.status}` : `the saga is ${this.ctx.status}`;
    this.note(`${messageTypeName(type)} not expected while ${where}: nothing changed`);
  }

  /** A step timeout or a due retry; one that no longer matches the step in flight is stale. */
  timer(message: SagaStepTimedOut | SagaStepRetryDue): void {
    const active = this.active();
    const waiting = message instanceof SagaStepRetryDue;
    const current =
      active?.step.name === message.step &&
      active.state.status === (message.phase === 'action' ? 'running' : 'compensating') &&
      attemptsOf(active, message.phase) === message.attempt &&
      (active.state.retryAt !== undefined) === waiting;
    if (!current)
      return this.note(`stale timer of ${message.step} attempt ${message.attempt}: nothing changed`);
    if (!waiting) {
      const timeoutMs = exchangeOf(active, message.phase)!.timeoutMs;
      return this.attemptFailed(active, message.phase, `no reply within ${timeoutMs} ms`);
    }
    delete active.state.retryAt;
    this.send(active, message.phase);
  }

  /** The command of the compensation in flight (one without `ack`) was dispatched: the step is undone. */
  compensationSent(receipt: SagaCompensationSent): void {
    const active = this.active();
    const current =
      active?.step.name === receipt.step &&
      active.state.status === 'compensating' &&
      active.state.compensationAttempts === receipt.attempt &&
      active.step.compensation?.success.length === 0;
    if (!current)
      return this.note(`stale receipt of ${receipt.step} compensation ${receipt.attempt}: nothing changed`);
    this.setStatus(active, 'compensated');
    this.compensateNext();
  }

  /**
   * A handler called `ctx.fail()`: while running, the saga compensates instead; while compensating,
   * the compensation in flight has failed and an operator must step in.
   */
  failed(statusBefore: ProcessStatus): void {
    const reason = this.ctx.lastError ?? 'failed';
    this.ctx.status = statusBefore;
    const active = this.active();
    if (active) this.stopWaiting(active);
    if (statusBefore === 'compensating') return this.compensationFailed(active, reason);
    if (active) this.setStatus(active, 'failed', reason);
    this.compensate(reason);
  }

  /** Records what this run changed in the step's history note. */
  flush(): void {
    if (this.notes.length > 0) this.ctx.note = [this.ctx.note, ...this.notes].filter(Boolean).join('; ');
  }

  private runFrom(index: number): void {
    for (const step of this.program.steps.slice(index)) {
      const active = stepAt(this.state, step);
      if (step.when && !step.when(this.state.data)) {
        this.setStatus(active, 'skipped');
        continue;
      }
      this.setStatus(active, 'running');
      return this.send(active, 'action');
    }
    this.program.onCompleted(this.ctx);
    this.ctx.transitionTo('completed');
    this.ctx.complete();
  }

  private send(active: StepAt<D>, phase: SagaPhase): void {
    const { step, state } = active;
    const exchange = exchangeOf(active, phase)!;
    const attempt = phase === 'action' ? ++state.attempts : ++state.compensationAttempts;
    if (attempt > 1)
      this.note(`${attemptLabel(active, phase)}: attempt ${attempt}/${exchange.retry.attempts}`);
    this.ctx.send(exchange.send(this.state.data));
    this.ctx.transitionTo(phase === 'action' ? step.name : `${step.name}:compensating`);
    if (exchange.timeoutMs !== undefined) {
      const timeout = new SagaStepTimedOut(step.name, phase, attempt);
      this.ctx.schedule(timeout, { after: exchange.timeoutMs }, STEP_TIMEOUT_TIMER);
    }
  }

  private succeeded(active: StepAt<D>, phase: SagaPhase, reply: object): void {
    this.stopWaiting(active);
    delete active.state.error;
    if (phase === 'compensation') {
      this.setStatus(active, 'compensated');
      return this.compensateNext();
    }
    const { merge } = active.step;
    Object.assign(this.state.data, merge ? merge(reply, this.state.data) : payloadOf(reply));
    this.setStatus(active, 'completed');
    if (this.state.cancellation !== undefined) return this.compensate();
    this.runFrom(active.step.index + 1);
  }

  private attemptFailed(active: StepAt<D>, phase: SagaPhase, reason: string): void {
    const { step, state } = active;
    this.stopWaiting(active);
    state.error = reason;
    const { retry } = exchangeOf(active, phase)!;
    const attempt = attemptsOf(active, phase);
    const cancelling = phase === 'action' && this.state.cancellation !== undefined;
    if (attempt < retry.attempts && !cancelling) {
      const delayMs = retryDelay(retry, attempt);
      state.retryAt = new Date(this.ctx.now().getTime() + delayMs).toISOString();
      this.ctx.schedule(
        new SagaStepRetryDue(step.name, phase, attempt),
        { after: delayMs },
        STEP_RETRY_TIMER,
      );
      return this.note(
        `${attemptLabel(active, phase)}: attempt ${attempt}/${retry.attempts} failed (${reason}), retry in ${delayMs} ms`,
      );
    }
    if (phase === 'compensation') return this.compensationFailed(active, reason);
    this.setStatus(active, 'failed', reason);
    this.compensate(`${step.name} failed: ${reason}`);
  }

  private cancel(reason: string): void {
    if (this.ctx.status !== 'running' || this.state.cancellation !== undefined) {
      return this.note(
        `cancel (${reason}) ignored: the saga is already ${this.state.cancellation ? 'cancelling' : this.ctx.status}`,
      );
    }
    this.state.cancellation = reason;
    const active = this.active();
    if (active && active.state.retryAt === undefined) {
      // Its command is out: whatever it did must be known before it can be undone.
      return this.note(`cancel requested (${reason}): compensation starts when ${active.step.name} answers`);
    }
    if (active) {
      this.stopWaiting(active);
      this.setStatus(active, 'failed', 'cancelled');
    }
    this.compensate();
  }

  private compensate(failure?: string): void {
    if (failure !== undefined) {
      this.state.failure = failure;
      this.ctx.lastError = failure;
    }
    this.ctx.status = 'compensating';
    this.compensateNext();
  }

  /**
   * Undoes the completed steps, last first, one at a time: each compensation is done once its `ack`
   * arrives, or, without `ack`, once its command was dispatched (`SagaCompensationSent`).
   */
  private compensateNext(): void {
    for (const step of [...this.program.steps].reverse()) {
      const active = stepAt(this.state, step);
      if (active.state.status !== 'completed' || !step.compensation) continue;
      this.setStatus(active, 'compensating');
      return this.send(active, 'compensation');
    }
    const { processId, processType, correlationKey } = this.ctx;
    this.ctx.publish(new ProcessCompensated(processId, processType, correlationKey));
    this.program.onCompensated(this.ctx);
    if (this.state.cancellation !== undefined) {
      this.ctx.transitionTo('cancelled');
      this.ctx.status = 'cancelled';
    } else {
      this.ctx.transitionTo('compensated');
      this.ctx.fail(this.state.failure ?? 'compensated');
    }
  }

  private compensationFailed(active: StepAt<D> | undefined, reason: string): void {
    if (active) this.setStatus(active, 'compensation_failed', reason);
    this.ctx.requiresIntervention = true;
    this.ctx.transitionTo('compensation_failed');
    this.ctx.fail(`compensation of ${active?.step.name ?? 'the saga'} failed: ${reason}`);
  }

  /** Drops the timers of the step in flight: it has answered, failed or been given up. */
  private stopWaiting(active: StepAt<D>): void {
    if (exchangeOf(active, phaseOf(active))?.timeoutMs !== undefined)
      this.ctx.cancelSchedule(STEP_TIMEOUT_TIMER);
    if (active.state.retryAt !== undefined) this.ctx.cancelSchedule(STEP_RETRY_TIMER);
    delete active.state.retryAt;
  }

  private setStatus(active: StepAt<D>, status: SagaStepStatus, detail?: string): void {
    this.note(`${active.step.name}: ${active.state.status} → ${status}${detail ? ` (${detail})` : ''}`);
    active.state.status = status;
    if (detail !== undefined) active.state.error = detail;
  }

  private active(): StepAt<D> | undefined {
    return activeStep(this.program, this.state);
  }

  private note(text: string): void {
    this.notes.push(text);
  }
}

/** `PaymentDeclined: card expired`: the reply's type and its `reason` (or `error`, `message`). */
function describe(event: object): string {
  const { reason, error, message } = event as Record<string, unknown>;
  const detail = [reason, error, message].find((value) => typeof value === 'string' && value !== '');
  return detail === undefined
    ? messageTypeName(event.constructor)
    : `${messageTypeName(event.constructor)}: ${String(detail)}`;
}

function payloadOf(reply: object): object {
  return JSON.parse(JSON.stringify(reply)) as object;
}
