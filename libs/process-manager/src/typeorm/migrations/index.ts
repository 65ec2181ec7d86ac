import { type MigrationClass, underMigrationLock } from '../migration-lock.js';
import { CreateProcessManagerTables1763700000000 } from './1763700000000-create-process-manager-tables.js';
import { RetentionAndHealth1796119985025 } from './1796119985025-retention-and-health.js';
import { BusinessKeySearch1796122785393 } from './1796122785393-business-key-search.js';
import { StateVersionsAndReplay1796122861650 } from './1796122861650-state-versions-and-replay.js';
import { TimerTraceparent1796122993166 } from './1796122993166-timer-traceparent.js';
import { InPlaceStepUpdates1796300000000 } from './1796300000000-in-place-step-updates.js';
import { MarkDispatchedFunction1796300000001 } from './1796300000001-mark-dispatched-function.js';

/**
 * The library's migrations, in order: add them to your DataSource's `migrations` and run them. Each runs
 * under a PostgreSQL advisory lock, so replicas that boot together on one database migrate it once.
 */
export const PROCESS_MANAGER_MIGRATIONS: MigrationClass[] = [
  CreateProcessManagerTables1763700000000,
  RetentionAndHealth1796119985025,
  BusinessKeySearch1796122785393,
  StateVersionsAndReplay1796122861650,
  TimerTraceparent1796122993166,
  InPlaceStepUpdates1796300000000,
  MarkDispatchedFunction1796300000001,
].map(underMigrationLock);
