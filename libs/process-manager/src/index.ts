// Public API (DESIGN §3). Explorer, runner, engine and internal constants stay private.
export { ProcessManagerModule } from './process-manager.module.js';
export type { ProcessManagerModuleOptions } from './kernel/options.js';
export { ProcessManager, type ProcessManagerOptions } from './decorators/process-manager.decorator.js';
export { OnEvent, type OnEventOptions } from './decorators/on-event.decorator.js';
export { MessageType } from './kernel/message-type.js';
export type { ProcessContext, ProcessStatus, ScheduleWhen } from './kernel/process-context.js';
export type { ProcessInstance, ProcessHistoryEntry } from './kernel/process-instance.js';
export { getMetadata, withMetadata } from './kernel/message-metadata.js';
export type { MessageMetadata } from './kernel/message-metadata.js';
export { Outbox } from './typeorm/outbox.js';
export { mapCaused, type MapCausedOptions } from './runtime/rx-operators.js';
export { ProcessManagerService } from './operations/process-manager.service.js';
export type { OperatorAudit } from './operations/operator-audit.js';
export type { ProcessOverview, ProcessTypeOverview } from './operations/process-overview.js';
export type { RetentionOptions } from './kernel/retention-options.js';
// Health for @nestjs/terminus (an optional peer, loaded on the first check).
export {
  ProcessManagerHealthIndicator,
  type ProcessManagerHealthDetails,
  type ProcessManagerHealthResult,
} from './health/process-manager-health.indicator.js';
export type { ProcessManagerHealthThresholds } from './health/health-thresholds.js';
export { TerminusNotInstalledError } from './health/health.errors.js';
export { Clock, SystemClock } from './kernel/clock.js';
export { PROCESS_MANAGER_MIGRATIONS } from './typeorm/migrations/index.js';
export { initializeWithMigrationLock } from './typeorm/migration-lock.js';
export { PROCESS_MANAGER_ENTITIES } from './typeorm/entities/index.js';
export {
  ProcessStarted,
  ProcessCompleted,
  ProcessFailed,
  ProcessCompensated,
  ProcessStalled,
  ProcessDeadLettered,
  ProcessTimedOut,
  CommandDispatchFailed,
} from './events/index.js';
export type { DeadLetter } from './ports/records.js';
// Orchestrated sagas: a step list compiled onto the same engine (saga/).
export {
  OrchestratedSaga,
  SagaSteps,
  InvalidSagaDefinitionError,
  SagaNotBegunError,
  SagaOutsideEngineError,
} from './saga/index.js';
export type {
  SagaOptions,
  SagaStepOptions,
  SagaCompensationOptions,
  SagaRetryPolicy,
  SagaContext,
  SagaState,
  SagaStepState,
  SagaStepStatus,
} from './saga/index.js';
export * from './errors/index.js';
