import type { DeadLetterQuery, FailureRecord } from './records.js';

/** Failed deliveries: their retries with backoff, and the dead letters they end as. */
export abstract class FailureStore {
  /** Attempts so far of a failed delivery (0 when it never failed). */
  abstract failureAttempts(handler: string, messageId: string): Promise<number>;
  /** Inserts or updates (by handler + messageId) a failed delivery. */
  abstract recordFailure(failure: FailureRecord): Promise<void>;
  abstract resolveFailure(handler: string, messageId: string): Promise<void>;
  abstract claimDueRetries(now: Date, leaseUntil: Date, limit: number): Promise<FailureRecord[]>;
  abstract deadLetters(query: DeadLetterQuery): Promise<FailureRecord[]>;
  abstract setLastError(processId: string, error: string): Promise<void>;
  /** Clears `lastError` if it is still `error` (a retried dead letter went through). */
  abstract clearLastError(processId: string, error: string): Promise<void>;
}
