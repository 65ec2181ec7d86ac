import type { ClaimScope, DeadLetterQuery, FailureRecord, Lease } from './records.js';

/**
 * Longest key a failure store takes (the widths of pm_dead_letter's columns). Keys, like all text of a
 * failure record, reach the store already escaped of NUL and lone surrogates, and its payload and
 * metadata as plain JSON (runtime/failure-record.ts), so a store never refuses a failure record.
 */
export const FAILURE_KEY_LENGTHS = {
  handler: 200,
  messageType: 200,
  messageId: 200,
  correlationKey: 400,
} as const;

/** Failed deliveries: their retries with backoff, and the dead letters they end as. */
export abstract class FailureStore {
  /** Attempts so far of a failed delivery (0 when it never failed). */
  abstract failureAttempts(handler: string, messageId: string): Promise<number>;
  /**
   * Inserts or updates (by handler + messageId) a failed delivery; never refused for what it holds. A
   * repeat keeps the first record's id, first failure time, message and keys (its process id too, when
   * the repeat has none) and takes the repeat's status, attempts, error, stack and next attempt.
   */
  abstract recordFailure(failure: FailureRecord): Promise<void>;
  /**
   * The delivery went through: its failure is no longer open. A dead letter is kept as resolved at
   * `at` (until retention's `resolvedDeadLetters`); a failure still retrying is just dropped.
   */
  abstract resolveFailure(handler: string, messageId: string, at: Date): Promise<void>;
  /**
   * Leases due retries, the earliest due taking precedence under `limit`, returned in no particular
   * order; rows leased by another claimer are skipped, and so are rows
   * outside `scope` (handlers and message types of other services). No scope: every row.
   */
  abstract claimDueRetries(
    now: Date,
    leaseUntil: Date,
    limit: number,
    scope?: ClaimScope,
  ): Promise<FailureRecord[]>;
  /** Moves leases this app still holds (same lease end as given) to `leaseUntil`; others are left alone. */
  abstract extendRetryLeases(held: readonly Lease[], leaseUntil: Date): Promise<void>;
  abstract deadLetters(query: DeadLetterQuery): Promise<FailureRecord[]>;
  /** Open dead letters per handler (process type, or `Class.method` of a stateless handler). */
  abstract countDeadLetters(): Promise<{ handler: string; count: number }[]>;
  abstract setLastError(processId: string, error: string): Promise<void>;
  /** Clears `lastError` if it is still `error` (a retried dead letter went through). */
  abstract clearLastError(processId: string, error: string): Promise<void>;
}
