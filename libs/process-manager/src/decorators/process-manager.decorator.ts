import { SetMetadata } from '@nestjs/common';
import { PROCESS_MANAGER_METADATA } from '../process-manager.internal-constants.js';

/** Options of `@ProcessManager()`. */
export interface ProcessManagerOptions {
  /**
   * Persisted type name; it must stay stable once instances exist.
   * @default the class name
   */
  name?: string;
  /** Event property used to correlate events with instances, e.g. `'orderId'`. */
  correlationKey?: string;
  /**
   * State of a new instance.
   * @default () => ({})
   */
  initialState?: () => object;
}

/** Marks a provider as a stateful process manager whose `@OnEvent()` methods share persisted instances. */
export function ProcessManager(options: ProcessManagerOptions = {}): ClassDecorator {
  return SetMetadata(PROCESS_MANAGER_METADATA, options);
}
