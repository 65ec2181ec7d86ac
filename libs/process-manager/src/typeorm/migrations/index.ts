import { type MigrationClass, underMigrationLock } from '../migration-lock.js';
import { CreateProcessManagerTables1763700000000 } from './1763700000000-create-process-manager-tables.js';
import { RetentionAndHealth1796119985025 } from './1796119985025-retention-and-health.js';

/**
 * The library's migrations, in order: add them to your DataSource's `migrations` and run them. Each runs
 * under a PostgreSQL advisory lock, so replicas that boot together on one database migrate it once.
 */
export const PROCESS_MANAGER_MIGRATIONS: MigrationClass[] = [
  CreateProcessManagerTables1763700000000,
  RetentionAndHealth1796119985025,
].map(underMigrationLock);
