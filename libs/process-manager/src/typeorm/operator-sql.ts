/**
 * The SQL of operators' repairs (`OperatorStore`). Each repair is ONE statement: the change, the
 * instance's new version and its `repaired` history row are written together or not at all.
 */
import { LIVE_STATUSES, MARKERS } from '../ports/store-rules.js';
import { sqlStatuses } from './process-sql.js';

const LIVE = sqlStatuses(LIVE_STATUSES);

/**
 * The repair's history row, from `o` (the instance before: its named state) and `p` (after).
 * `note` and `at` are the statement's parameters holding them.
 */
const REPAIR_HISTORY = (note: string, at: string) => `
, h AS (
  INSERT INTO pm_history (process_id, seq, message_type, message_id, outcome, from_state, to_state, status, commands, note, at, state, state_version)
  SELECT p.id, p.version, '${MARKERS.repaired.messageType}', 'repaired:' || p.version, 'repaired', o.state_name, p.state_name, p.status, '[]', ${note}, ${at}, p.state, p.state_version
  FROM p, o
)`;

/** $1 process id. */
export const PENDING_TIMERS_SQL = `
SELECT id, process_id, process_type, name, due_at, message_type, payload FROM pm_timer
WHERE process_id = $1 ORDER BY due_at, id`;

/** The timer first, then the instance it belongs to: the version moves only when the timer did. */
const TIMER_REPAIR = (change: string) => `
WITH o AS (SELECT id, state_name FROM pm_process WHERE id = $1 AND status IN ${LIVE}),
t AS (${change}),
p AS (
  UPDATE pm_process SET updated_at = $4, version = version + 1
  WHERE id IN (SELECT process_id FROM t) AND status IN ${LIVE}
  RETURNING id, version, status, state_name, correlation_key, state, state_version
)${REPAIR_HISTORY('$3', '$4')}`;

/** $1 process id, $2 timer name, $3 note, $4 at, $5 new due time. */
export const RESCHEDULE_TIMER_SQL = `${TIMER_REPAIR(`
  UPDATE pm_timer SET due_at = $5, locked_until = NULL
  WHERE process_id IN (SELECT id FROM o) AND name = $2
  RETURNING process_id`)}
SELECT count(*)::int AS changed FROM p`;

/** $1 process id, $2 timer name, $3 note, $4 at. */
export const CANCEL_TIMER_SQL = `${TIMER_REPAIR(`
  DELETE FROM pm_timer WHERE process_id IN (SELECT id FROM o) AND name = $2
  RETURNING process_id`)}
SELECT count(*)::int AS changed FROM p`;

/** $1 process id, $2 timer name, $3 note, $4 at (the new due time), $5 lease end: the claimed timer. */
export const CLAIM_TIMER_NOW_SQL = `${TIMER_REPAIR(`
  UPDATE pm_timer SET due_at = $4, locked_until = $5
  WHERE process_id IN (SELECT id FROM o) AND name = $2 AND (locked_until IS NULL OR locked_until <= $4)
  RETURNING id, process_id, process_type, name, due_at, message_type, payload`)}
SELECT t.*, p.correlation_key FROM t, p`;

/** $1 process id, $2 expected version, $3 state (jsonb or null: kept), $4 named state (or null: kept), $5 note, $6 at. */
export const REPAIR_STATE_SQL = `
WITH o AS (SELECT id, state_name FROM pm_process WHERE id = $1),
p AS (
  UPDATE pm_process
  SET state = COALESCE($3::jsonb, state), state_name = COALESCE($4::text, state_name), updated_at = $6,
    version = version + 1
  WHERE id = $1 AND version = $2 AND status IN ${LIVE}
  RETURNING id, version, status, state_name, state, state_version
)${REPAIR_HISTORY('$5', '$6')}
SELECT count(*)::int AS changed FROM p`;

/** $1 process id: its outbox rows not dispatched (pm_outbox_process_idx). */
export const PENDING_OUTBOX_SQL = `
SELECT id, kind, type, payload, created_at, attempts, last_error, failed_at FROM pm_outbox
WHERE process_id = $1 AND dispatched_at IS NULL
ORDER BY created_at, id`;

/** $1 handler, $2 message type, $3 part of the error (each null: any). */
const DEAD_LETTER_FILTER = `
status = 'dead' AND ($1::text IS NULL OR handler = $1) AND ($2::text IS NULL OR message_type = $2)
  AND ($3::text IS NULL OR strpos(lower(error), lower($3)) > 0)`;

/** The filter's $1..$3, $4 after first_failed_at, $5 after id, $6 limit. */
export const MATCHING_DEAD_LETTERS_SQL = `
SELECT * FROM pm_dead_letter
WHERE ${DEAD_LETTER_FILTER}
  AND ($4::timestamptz IS NULL OR (first_failed_at, id) > ($4::timestamptz, $5::uuid))
ORDER BY first_failed_at, id
LIMIT $6`;

export const COUNT_MATCHING_DEAD_LETTERS_SQL = `
SELECT count(*)::int AS count FROM pm_dead_letter WHERE ${DEAD_LETTER_FILTER}`;
