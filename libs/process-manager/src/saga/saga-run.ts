import type { Type } from '@nestjs/common';
import { messageTypeName } from '../kernel/message-type.js';
import { DraftContext } from '../engine/draft-context.js';
import type { ProcessContext, ProcessStatus } from '../kernel/process-context.js';
import { ProcessCompensated } from '../events/process-lifecycle.events.js';
import type { ProcessCancelRequested } from '../events/system-messages.js';
import { InvalidSagaItineraryError, SagaOutsideEngineError } from './saga.errors.js';
import {
  attemptLabel,
  attemptsOf,
  exchangeOf,
  inFlightSteps,
  phaseOf,
  type SagaProgram,
  type StepAt,
  stepsOf,
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

  /**
   * Sets the data and starts the first step that runs: of `itinerary` (a routing slip: which declared
   * steps run, in that order) or of every step as defined. A second call on one instance is a no-op.
   */
  begin(data: D, itinerary?: readonly string[]): void {
    if (isSagaState(this.state)) return this.note('begin() ignored: the saga has begun already');
    if (itinerary !== undefined) this.checkItinerary(itinerary);
    const names = itinerary ?? this.program.steps.map(({ name }) => name);
    this.ctx.state = {
      data,
      steps: names.map((name) => ({ name, status: 'pending', attempts: 0, compensationAttempts: 0 })),
      ...(itinerary !== undefined && { itinerary: [...itinerary] }),
    };
    if (itinerary !== undefined) this.note(`itinerary: ${names.join(' → ') || 'no steps'}`);
    this.runFrom(0);
  }

  /** A reply or a cancel event. Anything the step in flight does not expect changes nothing. */
  receive(event: object): void {
    const type = event.constructor as Type;
    for (const inFlight of this.inFlight()) {
      const phase = phaseOf(inFlight);
      const exchange = exchangeOf(inFlight, phase);
      if (exchange?.success.includes(type)) return this.succeeded(inFlight, phase, event);
      if (exchange?.failure.includes(type))
        return this.attemptFailed(inFlight, phase, describe(event), false);
    }
    if (this.program.cancelOn.includes(type)) return this.cancel(describe(event));
    const active = this.inFlight()[0];
    const where = active ? `${active.step.name} is ${active.state.status}` : `the saga is ${this.ctx.status}`;
    this.note(`${messageTypeName(type)} not expected while ${where}: nothing changed`);
  }

  /** An operator's `cancel()`: the same path as a `cancelOn` event. */
  cancelRequested(request: ProcessCancelRequested): void {
    const by = request.actor ? ` (by ${request.actor})` : '';
    this.cancel(`cancel()${request.reason ? `: ${request.reason}` : ''}${by}`);
  }

  /** A step timeout or a due retry; one that no longer matches the step in flight is stale. */
  timer(message: SagaStepTimedOut | SagaStepRetryDue): void {
    const active = this.inFlight().find(({ step }) => step.name === message.step);
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
      return this.attemptFailed(active, message.phase, `no reply within ${timeoutMs} ms`, true);
    }
    delete active.state.retryAt;
    this.send(active, message.phase);
  }

  /** The command of the compensation in flight (one without `ack`) was dispatched: the step is undone. */
  compensationSent(receipt: SagaCompensationSent): void {
    const active = this.inFlight().find(({ step }) => step.name === receipt.step);
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
   * the compensations in flight have failed (an operator must step in; the rest are still undone
   * with `continueOnCompensationFailure`).
   * @param unsent the failure is that the step's command could not be dispatched (it never left)
   */
  failed(statusBefore: ProcessStatus, unsent = false): void {
    const reason = this.ctx.lastError ?? 'failed';
    this.ctx.status = statusBefore;
    const inFlight = this.inFlight();
    if (statusBefore === 'compensating') {
      if (inFlight.length === 0) return this.finish(`compensation failed: ${reason}`);
      for (const active of inFlight) this.compensationFailed(active, reason, false);
      return this.compensateNext();
    }
    const [active] = inFlight;
    if (active) {
      // Given up while its command was out: it may still have acted.
      if (active.state.retryAt === undefined && !unsent) active.state.unanswered = true;
      this.stopWaiting(active);
      this.setStatus(active, 'failed', reason);
    }
    this.compensate(reason);
  }

  /** Records what this run changed in the step's history note. */
  flush(): void {
    if (this.notes.length > 0) this.ctx.note = [this.ctx.note, ...this.notes].filter(Boolean).join('; ');
  }

  private runFrom(position: number): void {
    for (const active of stepsOf(this.program, this.state).slice(position)) {
      const { step } = active;
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
    this.ctx.transitionTo(
      phase === 'action' ? step.name : this.parallel ? 'compensating' : `${step.name}:compensating`,
    );
    if (exchange.timeoutMs !== undefined) {
      const timeout = new SagaStepTimedOut(step.name, phase, attempt);
      this.ctx.schedule(timeout, { after: exchange.timeoutMs }, this.timerName(STEP_TIMEOUT_TIMER, active));
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
    delete active.state.unanswered;
    this.setStatus(active, 'completed');
    if (this.state.cancellation !== undefined) return this.compensate();
    this.runFrom(this.state.steps.findIndex(({ name }) => name === active.step.name) + 1);
  }

  private attemptFailed(active: StepAt<D>, phase: SagaPhase, reason: string, timedOut: boolean): void {
    const { step, state } = active;
    this.stopWaiting(active);
    state.error = reason;
    if (phase === 'action' && timedOut) state.unanswered = true;
    else if (phase === 'action') delete state.unanswered;
    const { retry } = exchangeOf(active, phase)!;
    const attempt = attemptsOf(active, phase);
    const cancelling = phase === 'action' && this.state.cancellation !== undefined;
    if (attempt < retry.attempts && !cancelling) {
      const delayMs = retryDelay(retry, attempt);
      state.retryAt = new Date(this.ctx.now().getTime() + delayMs).toISOString();
      this.ctx.schedule(
        new SagaStepRetryDue(step.name, phase, attempt),
        { after: delayMs },
        this.timerName(STEP_RETRY_TIMER, active),
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
    const [active] = this.inFlight();
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
   * Undoes the completed steps (and failed ones per `compensateFailed`), last first, one at a time or
   * all at once (`parallelCompensation`): each compensation is done once its `ack` arrives, or, without
   * `ack`, once its command was dispatched (`SagaCompensationSent`). After one failed for good, the
   * rest are given up unless `continueOnCompensationFailure`. Ends the saga once nothing is in flight.
   */
  private compensateNext(): void {
    const stopped =
      !this.program.continueOnCompensationFailure &&
      this.state.steps.some(({ status }) => status === 'compensation_failed');
    const due = stopped ? [] : this.toCompensate();
    for (const active of this.parallel ? due : due.slice(0, 1)) {
      if (this.inFlight().length > 0 && !this.parallel) return;
      this.setStatus(active, 'compensating');
      this.send(active, 'compensation');
    }
    if (this.inFlight().length === 0) this.finish();
  }

  /** What is left to undo, last first. */
  private toCompensate(): StepAt<D>[] {
    return stepsOf(this.program, this.state)
      .reverse()
      .filter(({ step, state }) => {
        if (!step.compensation) return false;
        if (state.status === 'completed') return true;
        const { compensateFailed } = step;
        return (
          state.status === 'failed' &&
          (compensateFailed === 'always' || (compensateFailed === 'timeout' && state.unanswered === true))
        );
      });
  }

  /**
   * The end of compensating: `compensated` (or `cancelled`); or, when some compensation failed for good,
   * `failed` needing an operator, with the original failure first and each compensation's error beside it.
   */
  private finish(sagaError?: string): void {
    const errors = stepsOf(this.program, this.state)
      .reverse()
      .filter(({ state }) => state.status === 'compensation_failed')
      .map(({ step, state }) => `compensation of ${step.name} failed: ${state.error ?? 'failed'}`);
    if (sagaError !== undefined) errors.push(sagaError);
    if (errors.length > 0) {
      const { failure, cancellation } = this.state;
      const cause = failure ?? (cancellation === undefined ? undefined : `cancelled (${cancellation})`);
      this.ctx.requiresIntervention = true;
      this.ctx.transitionTo('compensation_failed');
      return this.ctx.fail([cause, ...errors].filter(Boolean).join('; '));
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

  private compensationFailed(active: StepAt<D>, reason: string, next = true): void {
    this.stopWaiting(active);
    this.setStatus(active, 'compensation_failed', reason);
    if (next) this.compensateNext();
  }

  /** Drops the timers of a step in flight: it has answered, failed or been given up. */
  private stopWaiting(active: StepAt<D>): void {
    if (exchangeOf(active, phaseOf(active))?.timeoutMs !== undefined)
      this.ctx.cancelSchedule(this.timerName(STEP_TIMEOUT_TIMER, active));
    if (active.state.retryAt !== undefined) this.ctx.cancelSchedule(this.timerName(STEP_RETRY_TIMER, active));
    delete active.state.retryAt;
  }

  /** Compensations in parallel each have timers of their own; otherwise one timer name serves each step in turn. */
  private timerName(base: string, active: StepAt<D>): string {
    return this.parallel && phaseOf(active) === 'compensation' ? `${base}:${active.step.name}` : base;
  }

  private get parallel(): boolean {
    return this.program.parallelCompensation;
  }

  /** Every name must be a declared step, once: the catalogue is checked at boot, the itinerary here. */
  private checkItinerary(itinerary: readonly string[]): void {
    const { className, steps, routingSlip } = this.program;
    const invalid = (problem: string) =>
      new InvalidSagaItineraryError(className, [itinerary].flat(), problem);
    if (!routingSlip)
      throw invalid(
        'cannot be chosen: declare the saga a routing slip with this.define({ routingSlip: true })',
      );
    const declared = steps.map(({ name }) => name);
    if (!Array.isArray(itinerary) || itinerary.some((name, at) => itinerary.indexOf(name) !== at))
      throw invalid('names a step twice: list each step at most once');
    const unknown = itinerary.find((name) => !declared.includes(name));
    if (unknown !== undefined)
      throw invalid(
        `names '${String(unknown)}', not a step of the saga; choose among ${declared.join(', ')}`,
      );
  }

  private setStatus(active: StepAt<D>, status: SagaStepStatus, detail?: string): void {
    this.note(`${active.step.name}: ${active.state.status} → ${status}${detail ? ` (${detail})` : ''}`);
    active.state.status = status;
    if (detail !== undefined) active.state.error = detail;
  }

  private inFlight(): StepAt<D>[] {
    return inFlightSteps(this.program, this.state);
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
