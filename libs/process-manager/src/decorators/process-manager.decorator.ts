import { SetMetadata } from '@nestjs/common';
import { PROCESS_MANAGER_METADATA } from '../kernel/constants.js';

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
  /**
   * Deadline of an instance ('1h', ms): a still-running instance then receives `ProcessTimedOut`;
   * without a handler for it, it fails with reason 'timed out'.
   */
  timeout?: number | string;
  /**
   * Idle time after which a running instance with nothing pending counts as stuck; per named state
   * with `{ default: '5m', charging: '30s' }`.
   * @default the module's `recovery.stuckAfterMs`
   */
  stuckAfter?: number | string | ({ default?: number | string } & Record<string, number | string>);
  /**
   * What recovery does with a stuck instance (it always records it and publishes `ProcessStalled`):
   * `'resend'` re-dispatches the last step's commands, `'fail'` fails the instance.
   * @default 'notify'
   */
  onStuck?: 'notify' | 'resend' | 'fail';
}

/** Marks a provider as a stateful process manager whose `@OnEvent()` methods share persisted instances. */
export function ProcessManager(options: ProcessManagerOptions = {}): ClassDecorator {
  return SetMetadata(PROCESS_MANAGER_METADATA, options);
}
