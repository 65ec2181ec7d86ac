import { ProcessManagerError } from './process-manager.error.js';

const RUN_THE_MIGRATIONS =
  `Add PROCESS_MANAGER_MIGRATIONS to the DataSource's migrations and run them before the app starts ` +
  `(migrationsRun: true, or the TypeORM CLI); don't create the pm_ tables with synchronize.`;

/**
 * The process manager's tables are missing or were not made by its migrations (TypeORM store): found at
 * boot, or while migrating, before any event could be lost to it.
 */
export class ProcessManagerSchemaError extends ProcessManagerError {
  constructor(
    /** Each thing found wrong, e.g. `table pm_timer does not exist`. */
    readonly problems: readonly string[],
    /** What to do about it. */
    fix: string = RUN_THE_MIGRATIONS,
  ) {
    super(`The process manager's schema is not ready: ${problems.join('; ')}. ${fix}`);
  }
}
