// Public API (DESIGN §3). Explorer, runner, engine and internal constants stay private.
export { ProcessManagerModule } from './process-manager.module.js';
export type { ProcessManagerModuleOptions } from './kernel/options.js';
export { ProcessManager, type ProcessManagerOptions } from './decorators/process-manager.decorator.js';
export { OnEvent, type OnEventOptions } from './decorators/on-event.decorator.js';
export { MessageType } from './kernel/message-type.js';
export type { ProcessContext, ProcessStatus, ScheduleWhen } from './kernel/process-context.js';
export type { ProcessInstance, ProcessHistoryEntry, ProcessSummary } from './kernel/process-instance.js';
export { getMetadata, withMetadata } from './kernel/message-metadata.js';
export type { MessageMetadata } from './kernel/message-metadata.js';
export { Outbox } from './typeorm/outbox.js';
export { mapCaused, type MapCausedOptions } from './runtime/rx-operators.js';
export { MessageTransport, type TransportStatus } from './runtime/message-transport.js';
export type { Dispatchable } from './runtime/dispatchable.js';
export { ProcessManagerService } from './operations/process-manager.service.js';
export type { OrphanedState } from './operations/process-versions.js';
export type { ReplayReport } from './engine/replay.js';
export type { OperatorAudit, PendingTimer } from './operations/operator-audit.js';
export type { StateChange } from './operations/state-diff.js';
export type { DeadLetterFilter, PendingOutboxRow } from './ports/operator-store.js';
export type { ProcessOverview, ProcessTypeOverview } from './operations/process-overview.js';
export type { RetentionOptions } from './kernel/retention-options.js';
// Health for @nestjs/terminus (an optional peer, loaded on the first check).
export {
  ProcessManagerHealthIndicator,
  type ProcessManagerHealthDetails,
  type ProcessManagerHealthResult,
  type TransportHealth,
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
  ProcessCancelRequested,
} from './events/index.js';
export type { DeadLetter, DeadLetterPage, ListQuery } from './ports/records.js';
// Orchestrated sagas: a step list compiled onto the same engine (saga/).
export {
  OrchestratedSaga,
  InvalidSagaDefinitionError,
  SagaNotBegunError,
  SagaOutsideEngineError,
  InvalidSagaItineraryError,
} from './saga/index.js';
export type {
  SagaSteps,
  SagaOptions,
  SagaStepOptions,
  SagaCompensationOptions,
  SagaRetryPolicy,
  SagaContext,
  SagaState,
  SagaStepState,
  SagaStepStatus,
} from './saga/index.js';
// Named errors (errors/). ConcurrencyConflictError stays internal: a lost race is re-run, never surfaced.
export {
  DuplicateProcessNameError,
  MissingCorrelationError,
  MissingStartHandlerError,
  UnsupportedHandlerScopeError,
  DuplicateMessageTypeError,
  MissingDependencyModuleError,
} from './errors/boot.errors.js';
export { DispatchTimeoutError, DispatchAbandonedError } from './errors/dispatch.errors.js';
export {
  DeliveryNotRecordedError,
  UnstorableDeliveryError,
  PendingLimitReachedError,
} from './errors/failure-path.errors.js';
export {
  HopelessInputError,
  InvalidCorrelationValueError,
  MessageNotSerializableError,
  InvalidContextCallError,
  InvalidMessageMetadataError,
  InvalidArgumentError,
  InvalidOptionsError,
} from './errors/input.errors.js';
export {
  TimerNotFoundError,
  RepairReasonRequiredError,
  RepairConflictError,
} from './errors/operator.errors.js';
export {
  MissingCorrelationValueError,
  CorrelationFailedError,
  StateNotSerializableError,
  UnknownMessageTypeError,
  InvalidDurationError,
  DeadLetterNotFoundError,
  ProcessNotFoundError,
  InvalidProcessStatusError,
  UnknownProcessTypeError,
  ConflictRetriesExhaustedError,
  NoActiveInstanceError,
  UnroutableTimerError,
  InvalidCursorError,
  HandlerTimeoutError,
} from './errors/runtime.errors.js';
export { ProcessManagerSchemaError } from './errors/schema.errors.js';
export {
  InvalidProcessVersionError,
  NewerProcessVersionError,
  ProcessMigrationFailedError,
} from './errors/versioning.errors.js';
export { ProcessManagerError } from './errors/process-manager.error.js';
