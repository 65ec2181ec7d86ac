import type { DataSource } from 'typeorm';
import { ProcessManagerSchemaError } from '../errors/index.js';
import { migrationName, migrationsTable } from './migration-lock.js';
import { PROCESS_MANAGER_MIGRATIONS } from './migrations/index.js';

/** The tables of the data model, looked up like the store's SQL names them (the connection's search_path). */
const TABLES = [
  'pm_process',
  'pm_history',
  'pm_association',
  'pm_inbox',
  'pm_outbox',
  'pm_timer',
  'pm_dead_letter',
];

/** The index that keeps one active instance per key; `synchronize` cannot make it (it is partial). */
const ACTIVE_KEY_INDEX = 'pm_process_active_key_uq';

const INSPECT_SQL = `
SELECT
  ARRAY(SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL) AS missing_tables,
  EXISTS (
    SELECT 1 FROM pg_index i
    WHERE i.indexrelid = to_regclass($2) AND i.indrelid = to_regclass('pm_process')
      AND i.indisunique AND i.indpred IS NOT NULL
  ) AS has_active_key_index,
  to_regclass($3) IS NOT NULL AS has_migrations_table`;

/**
 * Fails boot with a `ProcessManagerSchemaError` naming what is missing when the pm_ tables, their partial
 * unique index or the record of any library migration is absent. Without it a forgotten migration shows
 * only at run time: every event lost on a missing table, or failing on ON CONFLICT with tables made by
 * `synchronize`. Runs once the DataSource is initialised, i.e. after `migrationsRun` migrated it.
 */
export async function checkSchema(dataSource: DataSource): Promise<void> {
  const table = migrationsTable(dataSource);
  const [found] = (await dataSource.query(INSPECT_SQL, [TABLES, ACTIVE_KEY_INDEX, table])) as {
    missing_tables: string[];
    has_active_key_index: boolean;
    has_migrations_table: boolean;
  }[];
  const expected = PROCESS_MANAGER_MIGRATIONS.map(migrationName);
  const recorded = found!.has_migrations_table
    ? (
        (await dataSource.query(`SELECT name FROM ${table} WHERE name = ANY($1)`, [expected])) as {
          name: string;
        }[]
      ).map((row) => row.name)
    : [];
  const notRun = expected.filter((name) => !recorded.includes(name));
  const problems = [
    ...(found!.missing_tables.length > 0 ? [`missing tables ${found!.missing_tables.join(', ')}`] : []),
    ...(!found!.missing_tables.includes('pm_process') && !found!.has_active_key_index
      ? [`pm_process has no partial unique index ${ACTIVE_KEY_INDEX} (one active instance per key)`]
      : []),
    ...(notRun.length > 0 ? [`migrations not recorded in ${table}: ${notRun.join(', ')}`] : []),
  ];
  if (problems.length === 0) return;
  const madeOtherwise = !found!.missing_tables.includes('pm_process') && notRun.includes(expected[0]!);
  throw new ProcessManagerSchemaError(
    problems,
    madeOtherwise
      ? `The pm_ tables exist without the migration that creates them, typically made by synchronize: true. ` +
          `If they hold nothing you need (with such tables every step fails), drop them, add ` +
          `PROCESS_MANAGER_MIGRATIONS to the DataSource's migrations and run them; keep synchronize off for the pm_ tables.`
      : undefined,
  );
}
