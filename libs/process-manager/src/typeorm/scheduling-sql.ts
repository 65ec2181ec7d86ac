/**
 * Claims for the periodic jobs. Each claim is one UPDATE over a `FOR UPDATE SKIP LOCKED` sub-select,
 * so any number of app instances poll without waiting on each other or taking the same row; the
 * claim is a lease (a crashed claimer's rows come back when it lapses).
 * $1 now, $2 lease end, $3 batch size.
 */

export const CLAIM_TIMERS_SQL = `
UPDATE pm_timer SET locked_until = $2
WHERE id IN (
  SELECT id FROM pm_timer
  WHERE due_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
  ORDER BY due_at
  LIMIT $3
  FOR UPDATE SKIP LOCKED
)
RETURNING id, process_id, process_type, name, due_at, message_type, payload`;

export const DELETE_TIMER_SQL = `DELETE FROM pm_timer WHERE id = $1`;

export const CLAIM_OUTBOX_SQL = `
UPDATE pm_outbox SET available_at = $2
WHERE id IN (
  SELECT id FROM pm_outbox
  WHERE dispatched_at IS NULL AND failed_at IS NULL AND available_at <= $1
  ORDER BY available_at, created_at
  LIMIT $3
  FOR UPDATE SKIP LOCKED
)
RETURNING id, process_id, kind, type, payload, metadata, attempts`;

export const CLAIM_RETRIES_SQL = `
UPDATE pm_dead_letter SET next_attempt_at = $2
WHERE id IN (
  SELECT id FROM pm_dead_letter
  WHERE status = 'retrying' AND next_attempt_at <= $1
  ORDER BY next_attempt_at
  LIMIT $3
  FOR UPDATE SKIP LOCKED
)
RETURNING *`;

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

export const RESOLVE_FAILURE_SQL = `DELETE FROM pm_dead_letter WHERE handler = $1 AND message_id = $2`;

/** A dead letter marks its instance; not a step, so neither version nor history changes. */
export const SET_LAST_ERROR_SQL = `UPDATE pm_process SET last_error = $2 WHERE id = $1`;

/** A retried dead letter that went through clears the mark it left, and only that mark. */
export const CLEAR_LAST_ERROR_SQL = `
UPDATE pm_process SET last_error = NULL WHERE id = $1 AND last_error = $2`;

/** Live instances idle since before $1, not yet reported, with nothing pending that would move them. */
export const FIND_STALLED_SQL = `
SELECT p.* FROM pm_process p
WHERE p.status IN ('running', 'compensating') AND p.stalled_at IS NULL AND p.updated_at <= $1
  AND NOT EXISTS (SELECT 1 FROM pm_timer t WHERE t.process_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM pm_outbox o WHERE o.process_id = p.id AND o.dispatched_at IS NULL AND o.failed_at IS NULL)
  AND NOT EXISTS (SELECT 1 FROM pm_dead_letter d WHERE d.process_id = p.id AND d.status = 'retrying')
ORDER BY p.updated_at
LIMIT $2`;

/** Makes the commands of the instance's last handled step due again (same ids: receivers dedupe). */
export const RESEND_LAST_STEP_SQL = `
UPDATE pm_outbox SET dispatched_at = NULL, failed_at = NULL, available_at = $2
WHERE process_id = $1 AND kind = 'command' AND metadata->>'causationId' = (
  SELECT message_id FROM pm_history WHERE process_id = $1 AND outcome = 'handled' ORDER BY seq DESC LIMIT 1
)`;

export const LIST_DEAD_LETTERS_SQL = `
SELECT * FROM pm_dead_letter
WHERE status = 'dead' AND ($1::uuid IS NULL OR process_id = $1) AND ($3::uuid IS NULL OR id = $3)
ORDER BY first_failed_at, id
LIMIT $2`;
