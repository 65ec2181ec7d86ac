// Public API (DESIGN §3). Explorer, runner, engine and internal constants stay private.
export { ProcessManagerModule } from './process-manager.module.js';
export type { ProcessManagerModuleOptions } from './process-manager.options.js';
export { ProcessManager, OnEvent, MessageType } from './decorators/index.js';
export type { ProcessManagerOptions, OnEventOptions } from './decorators/index.js';
export type { ProcessContext, ProcessStatus, ScheduleWhen } from './engine/process-context.js';
export type { ProcessInstance, ProcessHistoryEntry } from './engine/process-instance.js';
export { getMetadata, withMetadata } from './messaging/message-metadata.js';
export type { MessageMetadata } from './messaging/message-metadata.js';
export { Outbox } from './messaging/outbox.js';
export { mapCaused, type MapCausedOptions } from './messaging/rx-operators.js';
export { ProcessManagerService } from './operations/process-manager.service.js';
export { Clock, SystemClock } from './runtime/clock.js';
export { PROCESS_MANAGER_MIGRATIONS } from './persistence/typeorm/migrations/index.js';
export { PROCESS_MANAGER_ENTITIES } from './persistence/typeorm/entities/index.js';
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
export type { DeadLetter } from './persistence/process.store.js';
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
