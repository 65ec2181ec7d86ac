/**
 * Retention's deletes (`pm:retention`). Each deletes at most $2 rows past the cutoff $1, oldest first,
 * the rows a `FOR UPDATE SKIP LOCKED` sub-select locked, looked up by key from an array (a join would
 * scan the whole table to match them): one short statement (its own transaction)
 * that never waits on a row another statement holds, so app instances running the job together take
 * disjoint batches, and a row a step or claim is writing is left for the next round. Each walks an
 * index on its cutoff column (migration RetentionAndHealth), so a round costs what it deletes.
 */
/** By ctid: an inbox mark is never updated, so the row version locked is the one deleted. */
export const DELETE_INBOX_MARKS_SQL = `
DELETE FROM pm_inbox
WHERE ctid = ANY (ARRAY(
  SELECT ctid FROM pm_inbox
  WHERE handled_at < $1
  ORDER BY handled_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
))`;

export const DELETE_DISPATCHED_OUTBOX_SQL = `
DELETE FROM pm_outbox
WHERE id = ANY (ARRAY(
  SELECT id FROM pm_outbox
  WHERE dispatched_at IS NOT NULL AND dispatched_at < $1
  ORDER BY dispatched_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
))`;

export const DELETE_RESOLVED_DEAD_LETTERS_SQL = `
DELETE FROM pm_dead_letter_resolved
WHERE id = ANY (ARRAY(
  SELECT id FROM pm_dead_letter_resolved
  WHERE resolved_at < $1
  ORDER BY resolved_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
))`;

/** Nothing pending would still need the instance: its last commands may be resent, its dead letter retried. */
const NOTHING_PENDING = `
    AND NOT EXISTS (SELECT 1 FROM pm_outbox o WHERE o.process_id = p.id AND o.dispatched_at IS NULL AND o.failed_at IS NULL)
    AND NOT EXISTS (SELECT 1 FROM pm_dead_letter d WHERE d.process_id = p.id)`;

/**
 * Finished instances, at most $2: ended (completed, cancelled) first, then failed and acknowledged; their
 * history, timers and associations go with them (ON DELETE CASCADE). Each kind walks its own partial
 * index (pm_process_finished_idx, pm_process_acknowledged_idx), whose predicates are spelled out here.
 */
export const DELETE_FINISHED_PROCESSES_SQL = `
WITH ended AS (
  SELECT p.id FROM pm_process p
  WHERE p.status IN ('completed', 'cancelled') AND p.completed_at < $1${NOTHING_PENDING}
  ORDER BY p.completed_at
  LIMIT $2
  FOR UPDATE OF p SKIP LOCKED
), acknowledged AS (
  SELECT p.id FROM pm_process p
  WHERE p.status = 'failed' AND p.acknowledged_at IS NOT NULL AND p.acknowledged_at < $1${NOTHING_PENDING}
  ORDER BY p.acknowledged_at
  LIMIT ($2 - (SELECT count(*) FROM ended))
  FOR UPDATE OF p SKIP LOCKED
)
DELETE FROM pm_process
WHERE id = ANY (ARRAY(SELECT id FROM ended UNION ALL SELECT id FROM acknowledged))`;
