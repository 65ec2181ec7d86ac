import { Logger } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';

const GUARDED = Symbol('nestjs-process-manager:guarded');

/** A lost connection is logged at warn level at most this often; the rest of a burst at debug level. */
const WARN_EVERY_MS = 10_000;

type Guardable = { [GUARDED]?: true };

/**
 * Gives every client of `pool`, present and future, a permanent `'error'` listener. pg emits `'error'`
 * on a client whose connection PostgreSQL ends (restart, failover, `pg_terminate_backend`, 57P01), and
 * an `'error'` nobody listens to crashes the process. pg-pool listens only while a client is idle and
 * TypeORM only while a query runner holds it: a client that the store's `pool.query` releases to a
 * waiting query runner has no listener until that runner's promise continuation runs — after pg has
 * parsed the rest of the socket's data, which may be the FATAL that ends it. The listener only logs:
 * the query in flight still fails, and pg-pool drops the broken client when it is released.
 */
export function guardPool(pool: Pool, logger: Logger): void {
  const guarded = pool as Pool & Guardable;
  if (guarded[GUARDED]) return;
  guarded[GUARDED] = true;
  let lastWarnAt = 0;
  let quiet = 0;
  const onError = (error: Error) => {
    const now = Date.now();
    if (now - lastWarnAt < WARN_EVERY_MS) {
      quiet++;
      logger.debug(`PostgreSQL connection lost: ${error.message}`);
      return;
    }
    const more = quiet > 0 ? ` (${quiet} more since the last such line)` : '';
    lastWarnAt = now;
    quiet = 0;
    logger.warn(`PostgreSQL connection lost: ${error.message}; the pool opens a new one when needed${more}`);
  };
  const guard = (client: PoolClient) => {
    const guardedClient = client as PoolClient & Guardable;
    if (guardedClient[GUARDED]) return;
    guardedClient[GUARDED] = true;
    client.on('error', onError);
  };
  pool.on('connect', guard);
  // The clients connected before us (TypeORM's first one, the migrations'): pg-pool keeps them in `_clients`.
  for (const client of (pool as unknown as { _clients?: PoolClient[] })._clients ?? []) guard(client);
  // TypeORM listens for the pool's own 'error' (an idle client lost); a pool without a listener would crash.
  if (pool.listenerCount('error') === 0) pool.on('error', onError);
}
