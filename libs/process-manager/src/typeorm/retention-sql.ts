/**
 * Retention's deletes (`pm:retention`). Each deletes at most $2 rows past the cutoff $1, oldest first,
 * by primary key over a `FOR UPDATE SKIP LOCKED` sub-select: one short statement (its own transaction)
 * that never waits on a row another statement holds, so app instances running the job together take
 * disjoint batches, and a row a step or claim is writing is left for the next round. Each walks an
 * index on its cutoff column (migration RetentionAndHealth), so a round costs what it deletes.
 */
export const DELETE_INBOX_MARKS_SQL = `
DELETE FROM pm_inbox
WHERE (handler, message_id) IN (
  SELECT handler, message_id FROM pm_inbox
  WHERE handled_at < $1
  ORDER BY handled_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)`;

export const DELETE_DISPATCHED_OUTBOX_SQL = `
DELETE FROM pm_outbox
WHERE id IN (
  SELECT id FROM pm_outbox
  WHERE dispatched_at IS NOT NULL AND dispatched_at < $1
  ORDER BY dispatched_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)`;

export const DELETE_RESOLVED_DEAD_LETTERS_SQL = `
DELETE FROM pm_dead_letter_resolved
WHERE id IN (
  SELECT id FROM pm_dead_letter_resolved
  WHERE resolved_at < $1
  ORDER BY resolved_at
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)`;

/**
 * Finished instances; history, timers and associations go with them (ON DELETE CASCADE). One with an
 * undispatched outbox row or an open dead letter stays: its last commands may still be resent, its
 * dead letter retried. The statuses are spelled as in the partial indexes pm_process_finished_idx and
 * pm_process_acknowledged_idx, so that the planner takes them (failed holds its key until acknowledged).
 */
export const DELETE_FINISHED_PROCESSES_SQL = `
DELETE FROM pm_process
WHERE id IN (
  SELECT p.id FROM pm_process p
  WHERE ((p.status IN ('completed', 'cancelled') AND p.completed_at < $1)
      OR (p.status = 'failed' AND p.acknowledged_at IS NOT NULL AND p.acknowledged_at < $1))
    AND NOT EXISTS (SELECT 1 FROM pm_outbox o WHERE o.process_id = p.id AND o.dispatched_at IS NULL AND o.failed_at IS NULL)
    AND NOT EXISTS (SELECT 1 FROM pm_dead_letter d WHERE d.process_id = p.id)
  LIMIT $2
  FOR UPDATE OF p SKIP LOCKED
)`;
