import type { INestApplicationContext } from '@nestjs/common';
import { dataSourceOf } from './test-app.js';

/** Runs raw SQL on the app's DataSource. */
export function query<T = Record<string, unknown>>(
  app: INestApplicationContext,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return dataSourceOf(app).query(sql, params) as Promise<T[]>;
}

/** `SELECT count(*)` of `table` with an optional WHERE clause. */
export async function countRows(
  app: INestApplicationContext,
  table: string,
  where = 'true',
  params: unknown[] = [],
): Promise<number> {
  const [row] = await query<{ count: string }>(
    app,
    `SELECT count(*) AS count FROM ${table} WHERE ${where}`,
    params,
  );
  return Number(row!.count);
}
