import type { FailureStore } from './failure-store.js';
import type { HealthQueries } from './health-queries.js';
import type { OperatorStore } from './operator-store.js';
import type { OutboxStore } from './outbox-store.js';
import type { ProcessControl } from './process-control.js';
import type { ProcessQueries } from './process-queries.js';
import type { RetentionStore } from './retention-store.js';
import type { StepStore } from './step-store.js';
import type { TelemetryQueries } from './telemetry-queries.js';
import type { TimerStore } from './timer-store.js';

/** What an adapter (TypeORM, memory) provides: every port, over one database. */
export type ProcessStore = StepStore &
  OutboxStore &
  TimerStore &
  FailureStore &
  ProcessQueries &
  ProcessControl &
  RetentionStore &
  HealthQueries &
  TelemetryQueries &
  OperatorStore;

/** DI token of the adapter instance; each port is an alias of it. */
export const PROCESS_STORE = Symbol('process-manager:process-store');
