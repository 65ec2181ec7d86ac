import { OUTBOX_RELAY_INTERVAL } from './outbox.relay.js';
import { RETENTION_INTERVAL } from './retention.job.js';
import { RECOVERY_INTERVAL } from './stuck-process.recoverer.js';
import { TIMER_POLL_INTERVAL } from './timer.poller.js';

/** The library's periodic jobs, by their `SchedulerRegistry` interval names. */
export const PROCESS_MANAGER_JOBS = {
  /** Due timers and delivery retries. */
  timers: TIMER_POLL_INTERVAL,
  outboxRelay: OUTBOX_RELAY_INTERVAL,
  recovery: RECOVERY_INTERVAL,
  retention: RETENTION_INTERVAL,
} as const;
