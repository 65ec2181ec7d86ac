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
  /**
   * Version of the state's schema; raise it with a migration whenever the state's shape changes.
   * Each instance records the version its state was written with.
   * @default 1
   */
  version?: number;
  /**
   * `migrations[v]` upgrades a state of version v-1 to v; pure. An instance loaded at an older version
   * runs `migrations[stored+1..version]` in order before the handler, and the step commits the result.
   * Every version from 2 to `version` needs one (boot fails with `InvalidProcessVersionError`).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each migration takes its own version's shape
  migrations?: Record<number, (state: any) => object>;
}

/** Marks a provider as a stateful process manager whose `@OnEvent()` methods share persisted instances. */
export function ProcessManager(options: ProcessManagerOptions = {}): ClassDecorator {
  return SetMetadata(PROCESS_MANAGER_METADATA, options);
}
