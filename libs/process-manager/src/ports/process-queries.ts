import type { ProcessHistoryEntry, ProcessInstance } from '../kernel/process-instance.js';
import type { ListQuery } from './records.js';

/** Read side for operations and recovery. */
export abstract class ProcessQueries {
  abstract get(processId: string): Promise<ProcessInstance | null>;
  abstract find(type: string, correlationKey: string): Promise<ProcessInstance | null>;
  abstract list(query: ListQuery): Promise<{ items: ProcessInstance[]; nextCursor?: string }>;
  abstract history(processId: string): Promise<ProcessHistoryEntry[]>;
  /** Live instances idle since `idleSince`, not reported yet, with no timer, outbox row or retry pending. */
  abstract findStalled(idleSince: Date, limit: number): Promise<ProcessInstance[]>;
}
