import type { ProcessHistoryEntry, ProcessInstance } from '../kernel/process-instance.js';
import type { DeadLetter } from '../ports/records.js';

/**
 * How a failed instance ended, for the eye: a saga that undid its steps cleanly (`compensated`), one
 * whose compensation failed too and needs a human (`needs-intervention`), or any other failure.
 */
export type FailureKind = 'compensated' | 'needs-intervention' | 'failed';

/** A list row: the instance without its state (states can be megabytes; the list refreshes by itself). */
export type ProcessSummary = Omit<ProcessInstance, 'state'> & { failureKind?: FailureKind };

export function summaryOf(
  instance: Omit<ProcessInstance, 'state'> & { state?: object },
  history?: ProcessHistoryEntry[],
): ProcessSummary {
  const { state: _state, ...summary } = instance;
  const failureKind = failureKindOf(instance, history);
  return failureKind ? { ...summary, failureKind } : summary;
}

/**
 * Sagas end failed in their `compensated` or `compensation_failed` state; the `ProcessFailed` event of
 * the last step says `requiresIntervention` when a compensation failed, whatever the process.
 */
function failureKindOf(
  instance: Omit<ProcessInstance, 'state'>,
  history?: ProcessHistoryEntry[],
): FailureKind | undefined {
  if (instance.status !== 'failed') return undefined;
  const failed = history
    ?.flatMap((entry) => entry.commands)
    .filter((message) => message.type === 'ProcessManager.ProcessFailed')
    .at(-1)?.payload as { requiresIntervention?: unknown } | undefined;
  if (failed?.requiresIntervention === true || instance.stateName === 'compensation_failed')
    return 'needs-intervention';
  return instance.stateName === 'compensated' ? 'compensated' : 'failed';
}

/** Operator actions in the timeline: history rows that no message caused. */
const OPERATOR_OUTCOMES = new Set<string>(['cancelled', 'acknowledged', 'retried', 'repaired']);

export type TimelineEntry = ProcessHistoryEntry & { operator: boolean };

export function timelineOf(history: ProcessHistoryEntry[]): TimelineEntry[] {
  return history.map((entry) => ({ ...entry, operator: OPERATOR_OUTCOMES.has(entry.outcome) }));
}

/** A dead letter as the API shows it; the `status` and schedule of the failure record stay internal. */
export function deadLetterView(letter: DeadLetter): DeadLetter {
  const {
    id,
    handler,
    processId,
    correlationKey,
    messageType,
    messageId,
    payload,
    metadata,
    attempts,
    error,
    stack,
    firstFailedAt,
    lastFailedAt,
  } = letter;
  return {
    id,
    handler,
    processId,
    correlationKey,
    messageType,
    messageId,
    payload,
    metadata,
    attempts,
    error,
    stack,
    firstFailedAt,
    lastFailedAt,
  };
}
