import type { OutgoingMessage } from '../kernel/outgoing-message.js';
import type { ProcessHistoryEntry, ProcessInstance } from '../kernel/process-instance.js';

export interface ScheduledTimer {
  readonly id: string;
  readonly name: string | undefined;
  readonly dueAt: Date;
  readonly messageType: string;
  readonly payload: Record<string, unknown>;
  /** W3C trace context of the step that scheduled it: its firing continues that trace. */
  readonly traceparent?: string;
}

/** Everything one event does to one instance; the store commits it in one transaction or not at all. */
export interface Decision {
  readonly isNew: boolean;
  /** Version the store must find (0 for a new instance); the committed version is one more. */
  readonly expectedVersion: number;
  readonly instance: ProcessInstance;
  readonly inbox: { readonly messageId: string };
  readonly outgoing: readonly OutgoingMessage[];
  readonly associations: readonly { readonly key: string; readonly value: string }[];
  readonly timers: {
    readonly scheduled: readonly ScheduledTimer[];
    readonly cancelled: readonly string[];
    /** The instance ended: every pending timer goes. */
    readonly cancelAll: boolean;
  };
  readonly history: Omit<ProcessHistoryEntry, 'seq' | 'processId'>;
}
