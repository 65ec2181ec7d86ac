import { randomBytes } from 'node:crypto';
import { PROCESS_MANAGER_MIGRATIONS } from 'nestjs-process-manager';
import pg from 'pg';
import { DataSource } from 'typeorm';

/** A fresh database with the library's migrations applied, dropped by `drop()`. */
export interface BenchDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createDatabase(
  serverUrl: string,
  label: string,
  options: { sqlStats?: boolean } = {},
): Promise<BenchDatabase> {
  const name = `pm_bench_${label.replace(/\W/g, '_')}_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  if (options.sqlStats) {
    await withClient(url.toString(), (client) =>
      client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'),
    );
  }
  return {
    url: url.toString(),
    drop: async () => {
      await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function runMigrations(url: string): Promise<void> {
  const dataSource = new DataSource({
    type: 'postgres',
    driver: pg,
    url,
    migrations: PROCESS_MANAGER_MIGRATIONS,
    logging: false,
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
  } finally {
    await dataSource.destroy();
  }
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Gives the planner statistics, as autovacuum does within a minute or two of a table's growth: a
 * benchmark database lives for seconds, and a plan cached while its tables were empty (a sequential
 * scan of a few pages) would otherwise be kept while they grow to thousands of rows. Then a
 * checkpoint, so that one made necessary by an earlier workload's writes does not land in this one's
 * measured runs (each workload starts its runs just after one).
 */
export async function analyzeAndCheckpoint(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('ANALYZE');
    await client.query('CHECKPOINT');
  });
}

export async function queryOne<T>(url: string, sql: string, values: unknown[] = []): Promise<T> {
  const { rows } = await withClient(url, (client) => client.query(sql, values));
  return rows[0] as T;
}
