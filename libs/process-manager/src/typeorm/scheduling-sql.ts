/**
 * Claims for the periodic jobs. Each claim is one UPDATE over a `FOR UPDATE SKIP LOCKED` sub-select,
 * so any number of app instances poll without waiting on each other or taking the same row; the
 * claim is a lease (a crashed claimer's rows come back when it lapses). The claimed ids are gathered
 * into an array first (`= ANY(ARRAY(…))`, computed once): with `IN (…)` the planner may join the
 * table to the sub-select and, believing the table empty (statistics taken while it was), run the
 * sub-select again for every row of it.
 * $1 now, $2 lease end, $3 batch size, then the claimer's scope (`ClaimScope`; NULL arrays: every row).
 * The scope is a filter on the due-ordered scan, not an index: a backlog of other services' due rows
 * costs a scan over them (about 120 ms for 180,000 on our machines), which the recoverer's
 * "nobody here takes this" warning brings to light.
 */
import type { ClaimScope, Lease, UnclaimableWork } from '../ports/records.js';
import { LIVE_STATUSES } from '../ports/store-rules.js';
import { sqlStatuses } from './process-sql.js';

/** $4 handlers (process types), $5 their message types: the pairs this app routes. */
export const CLAIM_TIMERS_SQL = `
UPDATE pm_timer t SET locked_until = $2
WHERE t.id = ANY(ARRAY(
  SELECT id FROM pm_timer
  WHERE due_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
    AND ($4::text[] IS NULL OR (process_type, message_type) IN (SELECT * FROM unnest($4::text[], $5::text[])))
  ORDER BY due_at
  LIMIT $3
  FOR UPDATE SKIP LOCKED
))
RETURNING t.id, t.process_id, t.process_type, t.name, t.due_at, t.message_type, t.payload, t.traceparent,
  (SELECT p.correlation_key FROM pm_process p WHERE p.id = t.process_id) AS correlation_key`;

/** Renews leases this claimer still holds: $1 ids, $2 the lease each holds now, $3 the new lease end. */
export const EXTEND_TIMER_LEASES_SQL = `
UPDATE pm_timer t SET locked_until = $3
FROM unnest($1::uuid[], $2::timestamptz[]) AS held(id, until)
WHERE t.id = held.id AND t.locked_until = held.until`;

export const DELETE_TIMER_SQL = `DELETE FROM pm_timer WHERE id = $1`;

/** $4 message types this app can rebuild, $5 process types it runs (rows of other processes stay). */
export const CLAIM_OUTBOX_SQL = `
UPDATE pm_outbox SET available_at = $2
WHERE id = ANY(ARRAY(
  SELECT o.id FROM pm_outbox o
  WHERE o.dispatched_at IS NULL AND o.failed_at IS NULL AND o.available_at <= $1
    AND ($4::text[] IS NULL OR (o.type = ANY($4::text[])
      AND NOT EXISTS (SELECT 1 FROM pm_process p WHERE p.id = o.process_id AND p.type <> ALL($5::text[]))))
  ORDER BY o.available_at, o.created_at
  LIMIT $3
  FOR UPDATE SKIP LOCKED
))
RETURNING id, process_id, kind, type, payload, metadata, attempts`;

/** $4 handlers, $5 their message types: the pairs this app routes. */
export const CLAIM_RETRIES_SQL = `
UPDATE pm_dead_letter SET next_attempt_at = $2
WHERE id = ANY(ARRAY(
  SELECT id FROM pm_dead_letter
  WHERE status = 'retrying' AND next_attempt_at <= $1
    AND ($4::text[] IS NULL OR (handler, message_type) IN (SELECT * FROM unnest($4::text[], $5::text[])))
  ORDER BY next_attempt_at
  LIMIT $3
  FOR UPDATE SKIP LOCKED
))
RETURNING *`;

/** As EXTEND_TIMER_LEASES_SQL; a retry whose delivery recorded a new attempt meanwhile keeps its backoff. */
export const EXTEND_RETRY_LEASES_SQL = `
UPDATE pm_dead_letter d SET next_attempt_at = $3
FROM unnest($1::uuid[], $2::timestamptz[]) AS held(id, until)
WHERE d.id = held.id AND d.status = 'retrying' AND d.next_attempt_at = held.until`;

export const FAILURE_ATTEMPTS_SQL = `SELECT attempts FROM pm_dead_letter WHERE handler = $1 AND message_id = $2`;

/** $1..$15 as in the column list; on a repeat failure the row is updated in place. */
export const RECORD_FAILURE_SQL = `
INSERT INTO pm_dead_letter (id, handler, process_id, correlation_key, message_type, message_id, payload, metadata,
  status, attempts, error, stack, first_failed_at, last_failed_at, next_attempt_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14)
ON CONFLICT (handler, message_id) DO UPDATE SET
  process_id = COALESCE(excluded.process_id, pm_dead_letter.process_id),
  status = excluded.status, attempts = excluded.attempts, error = excluded.error, stack = excluded.stack,
  last_failed_at = excluded.last_failed_at, next_attempt_at = excluded.next_attempt_at`;

/** Takes the failure out of pm_dead_letter; a dead letter goes on in pm_dead_letter_resolved, resolved at $3. */
export const RESOLVE_FAILURE_SQL = `
WITH resolved AS (DELETE FROM pm_dead_letter WHERE handler = $1 AND message_id = $2 RETURNING *)
INSERT INTO pm_dead_letter_resolved (id, handler, process_id, correlation_key, message_type, message_id, payload,
  metadata, attempts, error, stack, first_failed_at, last_failed_at, resolved_at)
SELECT id, handler, process_id, correlation_key, message_type, message_id, payload, metadata, attempts, error, stack,
  first_failed_at, last_failed_at, $3
FROM resolved WHERE status = 'dead'`;

/** A dead letter marks its instance; not a step, so neither version nor history changes. */
export const SET_LAST_ERROR_SQL = `UPDATE pm_process SET last_error = $2 WHERE id = $1`;

/** A retried dead letter that went through clears the mark it left, and only that mark. */
export const CLEAR_LAST_ERROR_SQL = `
UPDATE pm_process SET last_error = NULL WHERE id = $1 AND last_error = $2`;

/**
 * Live instances idle since before $1 (of the types $4, if given), not yet reported, with nothing
 * pending that would move them.
 * Work due since before $3 is no longer "pending": it was claimed and never completed (a hung or
 * crashing delivery), or nobody takes it, so it must not hide the instance.
 */
export const FIND_STALLED_SQL = `
SELECT p.* FROM pm_process p
WHERE p.status IN ${sqlStatuses(LIVE_STATUSES)} AND p.stalled_at IS NULL AND p.updated_at <= $1
  AND ($4::text[] IS NULL OR p.type = ANY($4::text[]))
  AND NOT EXISTS (SELECT 1 FROM pm_timer t WHERE t.process_id = p.id AND t.due_at > $3)
  AND NOT EXISTS (SELECT 1 FROM pm_outbox o WHERE o.process_id = p.id AND o.dispatched_at IS NULL
    AND o.failed_at IS NULL AND o.available_at > $3)
  AND NOT EXISTS (SELECT 1 FROM pm_dead_letter d WHERE d.process_id = p.id AND d.status = 'retrying'
    AND d.next_attempt_at > $3)
ORDER BY p.updated_at
LIMIT $2`;

/**
 * Kinds and types of work due since before $1 that no claim of this scope takes, counted up to $6 rows
 * per kind. $2 handlers, $3 their message types (the routed pairs), $4 process types, $5 rebuildable types.
 */
export const FIND_UNCLAIMABLE_SQL = `
SELECT kind, handler, message_type, count(*)::int AS count FROM (
  (SELECT 'timer' AS kind, process_type AS handler, message_type FROM pm_timer
   WHERE due_at <= $1 AND (process_type, message_type) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))
   LIMIT $6)
  UNION ALL
  (SELECT 'retry', handler, message_type FROM pm_dead_letter
   WHERE status = 'retrying' AND next_attempt_at <= $1
     AND (handler, message_type) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))
   LIMIT $6)
  UNION ALL
  (SELECT 'outbox', p.type, o.type FROM pm_outbox o LEFT JOIN pm_process p ON p.id = o.process_id
   WHERE o.dispatched_at IS NULL AND o.failed_at IS NULL AND o.available_at <= $1
     AND (o.type <> ALL($5::text[]) OR p.type <> ALL($4::text[]))
   LIMIT $6)
) unclaimable
GROUP BY kind, handler, message_type
ORDER BY kind, handler, message_type`;

/** Makes the commands of the instance's last handled step due again (same ids: receivers dedupe). */
export const RESEND_LAST_STEP_SQL = `
UPDATE pm_outbox SET dispatched_at = NULL, failed_at = NULL, available_at = $2
WHERE process_id = $1 AND kind = 'command' AND metadata->>'causationId' = (
  SELECT message_id FROM pm_history WHERE process_id = $1 AND outcome = 'handled' ORDER BY seq DESC LIMIT 1
)`;

export const LIST_DEAD_LETTERS_SQL = `
SELECT * FROM pm_dead_letter
WHERE status = 'dead' AND ($1::uuid IS NULL OR process_id = $1) AND ($3::uuid IS NULL OR id = $3)
  AND ($4::timestamptz IS NULL OR (first_failed_at, id) > ($4::timestamptz, $5::uuid))
ORDER BY first_failed_at, id
LIMIT $2`;

export const COUNT_DEAD_LETTERS_SQL = `
SELECT handler, count(*)::int AS count FROM pm_dead_letter WHERE status = 'dead' GROUP BY handler`;

/** $4, $5 of the timer and retry claims: the routed (handler, message type) pairs as two arrays. */
export function routeParams(scope: ClaimScope | undefined): [string[] | null, string[] | null] {
  if (!scope) return [null, null];
  return [scope.routes.map((route) => route.handler), scope.routes.map((route) => route.messageType)];
}

/** $4, $5 of the outbox claim. */
export function outboxParams(
  scope: ClaimScope | undefined,
): [readonly string[] | null, readonly string[] | null] {
  return scope ? [scope.messageTypes, scope.processTypes] : [null, null];
}

/** The parallel arrays of a lease renewal. */
export function leaseParams(held: readonly Lease[], leaseUntil: Date): [string[], Date[], Date] {
  return [held.map((lease) => lease.id), held.map((lease) => lease.until), leaseUntil];
}

export type UnclaimableRow = {
  kind: UnclaimableWork['kind'];
  handler: string | null;
  message_type: string;
  count: number;
};

export function fromUnclaimableRow(row: UnclaimableRow): UnclaimableWork {
  return {
    kind: row.kind,
    handler: row.handler ?? undefined,
    messageType: row.message_type,
    count: row.count,
  };
}
