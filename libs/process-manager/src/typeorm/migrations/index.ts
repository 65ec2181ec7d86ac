import { CreateProcessManagerTables1763700000000 } from './1763700000000-create-process-manager-tables.js';

/** The library's migrations, in order: add them to your DataSource's `migrations` and run them. */
export const PROCESS_MANAGER_MIGRATIONS = [CreateProcessManagerTables1763700000000];
