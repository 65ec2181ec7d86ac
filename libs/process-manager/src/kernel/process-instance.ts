import type { MessageMetadata } from './message-metadata.js';
import type { ProcessStatus } from './process-context.js';

/** A persisted process instance. */
export interface ProcessInstance {
  id: string;
  type: string;
  correlationKey: string;
  status: ProcessStatus;
  stateName?: string;
  state: object;
  version: number;
  /** Version of the process definition the state was written with (`@ProcessManager({ version })`); 1 when absent. */
  stateVersion?: number;
  startedAt: Date;
  updatedAt: Date;
  completedAt?: Date;
  lastError?: string;
  acknowledgedAt?: Date;
}

/** An instance without its state, as `list({ state: false })` returns it. */
export type ProcessSummary = Omit<ProcessInstance, 'state'>;

/** One step of an instance: the message in, what went out, the state and status after. */
export interface ProcessHistoryEntry {
  seq: number;
  processId: string;
  messageType: string;
  messageId: string;
  /**
   * `handled`; `ignored` when the instance's state or status did not accept the message; `stalled` from
   * recovery; `cancelled`, `acknowledged`, `retried`: an operator's action (`note` says who and why).
   */
  outcome: 'handled' | 'ignored' | 'stalled' | 'cancelled' | 'acknowledged' | 'retried' | 'repaired';
  fromState?: string;
  toState?: string;
  status: ProcessStatus;
  commands: { kind: 'command' | 'event'; type: string; payload: unknown }[];
  at: Date;
  error?: string;
  note?: string;
  /**
   * The input message of an event's step, as the handler saw it (`verify()` replays it; `at` is the
   * clock it saw). Absent on operator and recovery rows, and on steps recorded before 0.2.
   */
  input?: { payload: unknown; metadata: MessageMetadata };
  /** The state after the step, and the version it was written with (absent before 0.2). */
  state?: object;
  stateVersion?: number;
}

/** Statuses that hold the (type, correlationKey) slot: at most one such instance per key. */
export function holdsCorrelationKey(instance: Pick<ProcessInstance, 'status' | 'acknowledgedAt'>): boolean {
  return (
    instance.status === 'running' ||
    instance.status === 'compensating' ||
    (instance.status === 'failed' && !instance.acknowledgedAt)
  );
}

/** Statuses in which handlers run. */
export function isLive(status: ProcessStatus): boolean {
  return status === 'running' || status === 'compensating';
}
