import type { Decision } from '../engine/decision.js';
import type { Loaded, LoadQuery, OutboxRecord } from './records.js';

/**
 * The runner's port: load an instance, commit one step. A Decision commits whole or not at all,
 * guarded by the instance version (with its type and key unchanged), the (type, key) slot, the inbox
 * and the ids of its outgoing messages; a lost race is a `ConcurrencyConflictError`.
 */
export abstract class StepStore {
  abstract load(query: LoadQuery): Promise<Loaded>;
  /** Commits a Decision atomically; throws `ConcurrencyConflictError` when another writer won. */
  abstract commit(decision: Decision): Promise<void>;
  /** A stateless handler's step: inbox mark + returned messages, atomically; false for a duplicate. */
  abstract commitReaction(
    handler: string,
    messageId: string,
    records: OutboxRecord[],
    at: Date,
  ): Promise<boolean>;
  abstract hasHandled(handler: string, messageId: string): Promise<boolean>;
}
