import { HopelessInputError } from './input.errors.js';
import { ProcessManagerError } from './process-manager.error.js';

/** `@ProcessManager({ version, migrations })` that cannot upgrade every older state to `version`. */
export class InvalidProcessVersionError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly version: unknown,
    readonly reason: string,
  ) {
    super(
      `Process "${processName}" has version ${String(version)}: ${reason}. ` +
        `Use an integer version >= 1 and give migrations[v] (upgrading v-1 to v) for every v from 2 to version.`,
    );
  }
}

/**
 * The instance's state was last written by a newer version of the process than this app knows (a
 * rolling deploy): this app leaves it alone, and the failure path defers the delivery without counting
 * an attempt, so that an app of the newer version takes it.
 */
export class NewerProcessVersionError extends ProcessManagerError {
  constructor(
    readonly processName: string,
    readonly processId: string,
    readonly storedVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `${processName} ${processId} was written by version ${storedVersion}, this app knows version ` +
        `${knownVersion}: the delivery is deferred until an app of version ${storedVersion} or later takes it. ` +
        `Finish the rolling deploy.`,
    );
  }
}

/** A migration of `@ProcessManager({ migrations })` threw: the delivery is dead-lettered, the stored state unchanged. */
export class ProcessMigrationFailedError extends HopelessInputError {
  constructor(
    readonly processName: string,
    readonly processId: string,
    readonly toVersion: number,
    override readonly cause: unknown,
    causeText: string,
  ) {
    super(
      `migrations[${toVersion}] of "${processName}" failed on ${processId}: ${causeText}. ` +
        `Fix the migration, then retry the dead letter.`,
      { cause },
    );
  }
}
