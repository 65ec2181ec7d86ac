import type { Type } from '@nestjs/common';
import { messageTypeName } from '../kernel/message-type.js';
import { parseDuration } from '../kernel/duration.js';
import { InvalidSagaDefinitionError } from './saga.errors.js';
import type {
  RetrySchedule,
  SagaCompensationOptions,
  SagaExchange,
  SagaRetryPolicy,
  SagaStep,
  SagaStepOptions,
} from './saga-step.js';

/** Options of `this.define()` in an `OrchestratedSaga`. */
export interface SagaOptions {
  /** Event(s) that cancel the saga: its completed steps are compensated and the instance ends `cancelled`. */
  cancelOn?: Type | Type[];
  /**
   * Send every compensation at once instead of one at a time, last first; each still awaits its own
   * `ack`, and the saga ends once all have settled.
   * @default false
   */
  parallelCompensation?: boolean;
  /**
   * After a compensation fails for good, go on undoing the steps before it instead of stopping there;
   * the saga still ends `failed` with `requiresIntervention`.
   * @default false
   */
  continueOnCompensationFailure?: boolean;
  /**
   * A routing slip: each instance chooses, in `begin(ctx, data, { itinerary })`, which of the declared
   * steps it runs and in which order; undoing follows what actually ran, in reverse.
   * @default false: every step runs, in the order defined
   */
  routingSlip?: boolean;
}

/** Named states a saga uses when it ends (and while compensating in parallel); no step may take one. */
const END_STATES = ['completed', 'compensating', 'compensated', 'cancelled', 'compensation_failed'];

/** The ordered steps of an orchestrated saga, built with `this.define().step(…).step(…)`. Immutable. */
export class SagaSteps<D extends object> {
  private constructor(
    readonly className: string,
    readonly list: readonly SagaStep<D>[],
    readonly cancelOn: readonly Type[],
    readonly options: Readonly<SagaOptions>,
  ) {}

  /** Use `this.define()` inside an `OrchestratedSaga` instead. */
  static create<D extends object>(className: string, options: SagaOptions = {}): SagaSteps<D> {
    return new SagaSteps<D>(className, [], [options.cancelOn ?? []].flat(), options);
  }

  /**
   * Appends a step.
   * @param name unique, stable name: it is persisted in every instance's state
   * @param options the command, its replies, and optionally timeout, retry, `when` and compensation
   */
  step<R extends object>(name: string, options: SagaStepOptions<D, R>): SagaSteps<D> {
    const invalid = (problem: string) =>
      new InvalidSagaDefinitionError(this.className, `step '${name}' ${problem}`);
    if (!name || END_STATES.includes(name)) {
      throw invalid(`needs another name: ${END_STATES.join(', ')} name the end of a saga`);
    }
    if (this.list.some((step) => step.name === name))
      throw invalid('is defined twice: give each step a unique name');
    const action = exchange(invalid, options.send, options.onSuccess, options);
    if (action.success.length === 0)
      throw invalid('needs onSuccess: the reply event(s) meaning it succeeded');
    const { compensateFailed } = options;
    if (compensateFailed !== undefined && compensateFailed !== 'timeout' && compensateFailed !== 'always')
      throw invalid(`compensateFailed must be 'timeout' or 'always' (got ${String(compensateFailed)})`);
    if (compensateFailed && !options.compensate)
      throw invalid('has compensateFailed but no compensate: say how to undo it');
    const step: SagaStep<D> = {
      name,
      index: this.list.length,
      action,
      compensation: compensation(invalid, options.compensate),
      merge: options.merge as SagaStep<D>['merge'],
      when: options.when,
      compensateFailed,
    };
    if (this.options.parallelCompensation) {
      const replies = (one: SagaStep<D>) => [
        ...(one.compensation?.success ?? []),
        ...(one.compensation?.failure ?? []),
      ];
      const shared = replies(step).find((type) => this.list.some((other) => replies(other).includes(type)));
      if (shared)
        throw invalid(
          `compensation shares ${messageTypeName(shared)} with another step: with parallelCompensation each compensation needs replies of its own`,
        );
    }
    return new SagaSteps(this.className, [...this.list, step], this.cancelOn, this.options);
  }
}

type Invalid = (problem: string) => InvalidSagaDefinitionError;

function compensation<D extends object>(
  invalid: Invalid,
  option: SagaStepOptions<D>['compensate'],
): SagaExchange<D> | undefined {
  if (option === undefined) return undefined;
  const options: SagaCompensationOptions<D> = typeof option === 'function' ? { send: option } : option;
  const built = exchange((problem) => invalid(`compensation ${problem}`), options.send, options.ack, options);
  if (
    built.success.length === 0 &&
    (built.failure.length > 0 || built.timeoutMs !== undefined || options.retry)
  ) {
    throw invalid('compensation needs ack: onFailure, timeout and retry only apply while an ack is awaited');
  }
  return built;
}

function exchange<D extends object>(
  invalid: Invalid,
  send: ((data: Readonly<D>) => object) | undefined,
  success: Type | Type[] | undefined,
  options: { onFailure?: Type | Type[]; timeout?: number | string; retry?: SagaRetryPolicy },
): SagaExchange<D> {
  if (typeof send !== 'function') throw invalid('needs send: a function building the command from the data');
  const built: SagaExchange<D> = {
    send,
    success: [success ?? []].flat(),
    failure: [options.onFailure ?? []].flat(),
    timeoutMs: options.timeout === undefined ? undefined : duration(invalid, 'timeout', options.timeout),
    retry: retrySchedule(invalid, options.retry),
  };
  const both = built.success.find((type) => built.failure.includes(type));
  if (both) throw invalid(`lists ${messageTypeName(both)} as both success and failure`);
  if (built.retry.attempts > 1 && built.failure.length === 0 && built.timeoutMs === undefined) {
    throw invalid('has retry but neither onFailure nor timeout, so it could never be retried');
  }
  return built;
}

function retrySchedule(invalid: Invalid, retry: SagaRetryPolicy | undefined): RetrySchedule {
  if (retry === undefined) return { attempts: 1, delayMs: 0, factor: 1, maxDelayMs: undefined };
  const { attempts, factor = 2 } = retry;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw invalid(`retry.attempts must be a whole number of sends, 1 or more (got ${String(attempts)})`);
  }
  if (!Number.isFinite(factor) || factor < 1) throw invalid(`retry.factor must be 1 or more (got ${factor})`);
  return {
    attempts,
    delayMs: duration(invalid, 'retry.delay', retry.delay),
    factor,
    maxDelayMs:
      retry.maxDelay === undefined ? undefined : duration(invalid, 'retry.maxDelay', retry.maxDelay),
  };
}

function duration(invalid: Invalid, option: string, value: number | string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw invalid(`${option}: ${(error as Error).message}`);
  }
}
