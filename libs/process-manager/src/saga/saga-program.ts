import type { Type } from '@nestjs/common';
import type { SagaExchange, SagaStep } from './saga-step.js';
import { isSagaState, type SagaContext, type SagaState, type SagaStepState } from './saga-state.js';
import type { SagaPhase } from './saga-timers.js';

/** A saga's steps and hooks, as its routes run them. */
export interface SagaProgram<D extends object> {
  readonly className: string;
  readonly steps: readonly SagaStep<D>[];
  readonly cancelOn: readonly Type[];
  /** Send every compensation at once, each awaiting its own `ack` (else one at a time, last first). */
  readonly parallelCompensation: boolean;
  /** Go on undoing the remaining steps after a compensation failed for good (else stop there). */
  readonly continueOnCompensationFailure: boolean;
  /** Each instance may choose its itinerary (`begin(ctx, data, { itinerary })`). */
  readonly routingSlip: boolean;
  onCompleted(ctx: SagaContext<D>): void;
  onCompensated(ctx: SagaContext<D>): void;
}

/** A step's definition together with its persisted state. */
export interface StepAt<D extends object> {
  readonly step: SagaStep<D>;
  readonly state: SagaStepState;
}

/** The step in flight (running, or compensating), if any; the first of them with parallel compensation. */
export function activeStep<D extends object>(
  program: SagaProgram<D>,
  saga: SagaState<D>,
): StepAt<D> | undefined {
  return inFlightSteps(program, saga)[0];
}

/** Every step in flight, in the instance's step order: one, or several compensating in parallel. */
export function inFlightSteps<D extends object>(program: SagaProgram<D>, saga: SagaState<D>): StepAt<D>[] {
  if (!isSagaState(saga)) return [];
  return saga.steps
    .filter(({ status }) => status === 'running' || status === 'compensating')
    .flatMap((state) => {
      const step = program.steps.find(({ name }) => name === state.name);
      return step ? [{ step, state }] : [];
    });
}

/** The instance's steps with their definitions, in the order they run (the itinerary's, if it has one). */
export function stepsOf<D extends object>(program: SagaProgram<D>, saga: SagaState<D>): StepAt<D>[] {
  return saga.steps.flatMap((state) => {
    const step = program.steps.find(({ name }) => name === state.name);
    return step ? [{ step, state }] : [];
  });
}

/** What is in flight for a step: its command, or its compensation. */
export function phaseOf({ state }: { state: SagaStepState }): SagaPhase {
  return state.status === 'compensating' ? 'compensation' : 'action';
}

export function exchangeOf<D extends object>(
  { step }: StepAt<D>,
  phase: SagaPhase,
): SagaExchange<D> | undefined {
  return phase === 'action' ? step.action : step.compensation;
}

export function attemptsOf({ state }: { state: SagaStepState }, phase: SagaPhase): number {
  return phase === 'action' ? state.attempts : state.compensationAttempts;
}

/** `charge`, or `charge compensation`: how notes name what was attempted. */
export function attemptLabel({ step }: { step: { name: string } }, phase: SagaPhase): string {
  return phase === 'action' ? step.name : `${step.name} compensation`;
}
