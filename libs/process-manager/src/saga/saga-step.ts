import type { Type } from '@nestjs/common';

/** Re-sends a step (or compensation) after a failure reply or a timeout, waiting longer each time. */
export interface SagaRetryPolicy {
  /** Sends in all, the first included: `3` means the first send and up to two retries. */
  attempts: number;
  /** Wait before the second send (ms or '1s'); each later wait is `factor` times the one before. */
  delay: number | string;
  /**
   * Growth of the wait from one retry to the next.
   * @default 2
   */
  factor?: number;
  /**
   * Longest wait (ms or '1m').
   * @default no limit
   */
  maxDelay?: number | string;
}

/** How to undo a completed step when a later one fails or the saga is cancelled. */
export interface SagaCompensationOptions<D extends object> {
  /** Builds the compensating command from the saga's data. */
  send: (data: Readonly<D>) => object;
  /** Event(s) confirming the compensation; without `ack` the step counts as compensated once sent. */
  ack?: Type | Type[];
  /** Event(s) saying the compensation failed (retried per `retry`, then the saga needs an operator). */
  onFailure?: Type | Type[];
  /** Longest wait for `ack` per attempt (ms or '30s'); a durable timer. */
  timeout?: number | string;
  /** Re-sends after a failure or timeout. */
  retry?: SagaRetryPolicy;
}

/** One named step of an orchestrated saga. */
export interface SagaStepOptions<D extends object, R extends object = object> {
  /** Builds the step's command from the data accumulated so far. */
  send: (data: Readonly<D>) => object;
  /** Reply event(s) meaning success; the reply's payload is merged into the data (see `merge`). */
  onSuccess: Type<R> | Type<R>[];
  /** Reply event(s) meaning failure: the step is retried per `retry`, then the saga compensates. */
  onFailure?: Type | Type[];
  /**
   * What a success reply adds to the data.
   * @default every property of the reply
   */
  merge?: (reply: R, data: Readonly<D>) => Partial<D>;
  /** Runs the step only when this returns true (checked when the step is reached); else it is `skipped`. */
  when?: (data: Readonly<D>) => boolean;
  /** Longest wait for a reply per attempt (ms or '30s'); a durable timer. A timeout counts as a failure. */
  timeout?: number | string;
  /** Re-sends after a failure reply or a timeout. */
  retry?: SagaRetryPolicy;
  /** Undoes the step; a function is the short form of `{ send }` (no acknowledgement awaited). */
  compensate?: ((data: Readonly<D>) => object) | SagaCompensationOptions<D>;
  /**
   * Also compensate this step when it failed for good: `'timeout'` when its last send got no reply (it
   * timed out, or the saga gave up waiting), since the service may still have acted; `'always'` after a
   * failure reply too.
   * @default a failed step is not compensated: it did not happen
   */
  compensateFailed?: 'timeout' | 'always';
}

/** A retry policy in milliseconds. */
export interface RetrySchedule {
  readonly attempts: number;
  readonly delayMs: number;
  readonly factor: number;
  readonly maxDelayMs: number | undefined;
}

/** A command and the replies that settle it: a step's action or its compensation. */
export interface SagaExchange<D extends object> {
  readonly send: (data: Readonly<D>) => object;
  /** Empty for a compensation without `ack`: done once sent. */
  readonly success: readonly Type[];
  readonly failure: readonly Type[];
  readonly timeoutMs: number | undefined;
  readonly retry: RetrySchedule;
}

/** A step as the interpreter runs it: options validated, durations parsed. */
export interface SagaStep<D extends object> {
  readonly name: string;
  readonly index: number;
  readonly action: SagaExchange<D>;
  readonly compensation: SagaExchange<D> | undefined;
  readonly merge: ((reply: object, data: Readonly<D>) => Partial<D>) | undefined;
  readonly when: ((data: Readonly<D>) => boolean) | undefined;
  readonly compensateFailed: 'timeout' | 'always' | undefined;
}

/** The wait before send `attempt + 1`, after send `attempt` failed. */
export function retryDelay(retry: RetrySchedule, attempt: number): number {
  const delay = Math.round(retry.delayMs * retry.factor ** (attempt - 1));
  return retry.maxDelayMs === undefined ? delay : Math.min(delay, retry.maxDelayMs);
}
