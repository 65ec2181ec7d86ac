import type { Type } from '@nestjs/common';
import type { SagaExchange, SagaStep } from './saga-step.js';
import { isSagaState, type SagaContext, type SagaState, type SagaStepState } from './saga-state.js';
import type { SagaPhase } from './saga-timers.js';

/** A saga's steps and hooks, as its routes run them. */
export interface SagaProgram<D extends object> {
  readonly className: string;
  readonly steps: readonly SagaStep<D>[];
  readonly cancelOn: readonly Type[];
  onCompleted(ctx: SagaContext<D>): void;
  onCompensated(ctx: SagaContext<D>): void;
}

/** A step's definition together with its persisted state. */
export interface StepAt<D extends object> {
  readonly step: SagaStep<D>;
  readonly state: SagaStepState;
}

/** The step in flight (running, or compensating), if any. */
export function activeStep<D extends object>(
  program: SagaProgram<D>,
  saga: SagaState<D>,
): StepAt<D> | undefined {
  if (!isSagaState(saga)) return undefined;
  const state = saga.steps.find(({ status }) => status === 'running' || status === 'compensating');
  const step = state && program.steps.find(({ name }) => name === state.name);
  return step && state ? { step, state } : undefined;
}

export function stepAt<D extends object>(saga: SagaState<D>, step: SagaStep<D>): StepAt<D> {
  return { step, state: saga.steps.find(({ name }) => name === step.name)! };
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
