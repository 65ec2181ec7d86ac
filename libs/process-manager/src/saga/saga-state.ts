import type { ProcessContext } from '../kernel/process-context.js';

/**
 * Where a step is: `pending` (not reached), `running` (sent, or waiting to retry), `skipped` (its `when`
 * said no), `completed`, `failed`; while undoing: `compensating`, `compensated`, `compensation_failed`.
 */
export type SagaStepStatus =
  | 'pending'
  | 'running'
  | 'skipped'
  | 'completed'
  | 'failed'
  | 'compensating'
  | 'compensated'
  | 'compensation_failed';

/** One step of a saga instance, as persisted. */
export interface SagaStepState {
  readonly name: string;
  status: SagaStepStatus;
  /** Sends of the step's command so far. */
  attempts: number;
  /** Sends of its compensating command so far. */
  compensationAttempts: number;
  /** When the next send is due, while the step (or its compensation) waits to retry. */
  retryAt?: string;
  /** The last failure of the step or of its compensation. */
  error?: string;
  /** The last send of the step got no reply (it timed out, or the saga gave up waiting): it may have acted. */
  unanswered?: boolean;
}

/** The persisted state of an orchestrated saga: its data and the status of every step. */
export interface SagaState<D extends object = object> {
  /** What `begin()` set, merged with the payload of each success reply. */
  data: D;
  /** Every step, in the order they run: the definition's, or the itinerary's. */
  steps: SagaStepState[];
  /** The steps `begin()` chose to run, in order (a routing slip); absent: all of them, as defined. */
  itinerary?: string[];
  /** Why the saga compensates: a step that failed for good, or `ctx.fail()`. */
  failure?: string;
  /** Set by a `cancelOn` event: the saga compensates (after the step in flight answers) and ends `cancelled`. */
  cancellation?: string;
}

/** The `ProcessContext` of a saga's handlers. */
export type SagaContext<D extends object> = ProcessContext<SagaState<D>>;

/** True once `begin()` has run for the instance. */
export function isSagaState(state: object): state is SagaState {
  const candidate = state as Partial<SagaState>;
  return Array.isArray(candidate.steps) && typeof candidate.data === 'object' && candidate.data !== null;
}
