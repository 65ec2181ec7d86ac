import pg from 'pg';

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/**
 * Writes a backlog a year old, as a long-running app leaves it: inbox marks, dispatched outbox rows
 * and completed instances (each with two history rows and an association). Returns what it wrote.
 */
export async function seedOldRows(
  url: string,
  counts: { before: Date; inbox: number; outbox: number; processes: number },
): Promise<{ inbox: number; outbox: number; processes: number }> {
  const old = new Date(counts.before.getTime() - 365 * 86_400_000);
  const client = await connect(url);
  try {
    await client.query(
      `INSERT INTO pm_inbox (handler, message_id, process_id, handled_at)
       SELECT 'seed', 'mark-' || i, NULL, $1::timestamptz + i * interval '1 ms' FROM generate_series(1, $2) AS i`,
      [old, counts.inbox],
    );
    await client.query(
      `INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at, dispatched_at)
       SELECT gen_random_uuid(), NULL, 'command', 'SendWelcome', '{}', '{}', $1, $1, $1::timestamptz + i * interval '1 ms'
       FROM generate_series(1, $2) AS i`,
      [old, counts.outbox],
    );
    await client.query(
      `WITH p AS (
         INSERT INTO pm_process (id, type, correlation_key, status, state, version, started_at, updated_at, completed_at)
         SELECT gen_random_uuid(), 'membership', 'seed-' || i, 'completed', '{}', 2, $1, $1, $1
         FROM generate_series(1, $2) AS i
         RETURNING id, correlation_key
       ), h AS (
         INSERT INTO pm_history (process_id, seq, message_type, message_id, outcome, status, commands, at)
         SELECT p.id, s, 'MemberJoined', p.correlation_key || '-' || s, 'handled', 'completed', '[]', $1
         FROM p, generate_series(1, 2) AS s
       )
       INSERT INTO pm_association (type, key, value, process_id)
       SELECT 'membership', 'email', p.correlation_key || '@example.com', p.id FROM p`,
      [old, counts.processes],
    );
  } finally {
    await client.end();
  }
  return { inbox: counts.inbox, outbox: counts.outbox, processes: counts.processes };
}

/** Row locks held in an open transaction on a connection of its own, as a busy writer holds them. */
export async function holdRowLocks(
  url: string,
  counts: { inbox: number; outbox: number; processes: number },
): Promise<{ release(): Promise<void> }> {
  const client = await connect(url);
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM pm_inbox ORDER BY handled_at LIMIT $1 FOR UPDATE', [counts.inbox]);
  await client.query('SELECT 1 FROM pm_outbox ORDER BY dispatched_at LIMIT $1 FOR UPDATE', [counts.outbox]);
  await client.query('SELECT 1 FROM pm_process LIMIT $1 FOR UPDATE', [counts.processes]);
  return {
    async release() {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/**
 * Resolves with what `work` resolves with; fails as soon as any session of the database waits for a
 * lock while `work` runs (a statement without SKIP LOCKED meeting a held row would wait until the
 * holder commits).
 */
export async function withoutLockWaits<T>(url: string, work: Promise<T>): Promise<T> {
  const watcher = await connect(url);
  let settled = false;
  const done = work.finally(() => {
    settled = true;
  });
  done.catch(() => undefined);
  try {
    while (!settled) {
      const { rows } = await watcher.query<{ query: string }>(
        `SELECT query FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      if (rows.length > 0) throw new Error(`a statement waited for a lock: ${rows[0]!.query}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return await done;
  } finally {
    await watcher.end();
  }
}
