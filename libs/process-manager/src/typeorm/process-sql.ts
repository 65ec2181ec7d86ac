/**
 * The hot path's SQL, issued directly on the pg pool (TypeORM's repository layer costs ~4x the CPU).
 * Each commit is ONE statement: data-modifying CTEs run atomically, so state, inbox, history, outbox,
 * associations and timers are written together or not at all, in one round trip.
 */
import {
  DISPATCH_LEASE_MS,
  HELD_UNTIL_ACKNOWLEDGED_STATUSES,
  LIVE_STATUSES,
  MARKERS,
  type MarkerOutcome,
} from '../ports/store-rules.js';

/**
 * A step statement in two forms: `plain`, and `marking`, which also marks earlier steps' messages
 * dispatched through `pm_mark_dispatched` (their time and ids as its last two parameters; see
 * PendingDispatchMarks). The marking form is only sent with ids. The ids come as JSON unpacked at run
 * time, not as a uuid[] parameter: an array's length is known to the planner, which then re-plans the
 * whole statement on every call (a custom plan, ~0.5 ms) instead of reusing its generic plan.
 */
export interface StepStatement {
  name: string;
  plain: string;
  marking: string;
}

export const MARKS_SLOT = '\n/* carried marks */';

export function stepStatement(name: string, sql: string, at: string, ids: string): StepStatement {
  const marks = `\n, dispatched AS (SELECT pm_mark_dispatched(ARRAY(SELECT jsonb_array_elements_text(${ids}::jsonb)::uuid), ${at}::timestamptz) AS marked)`;
  return {
    name,
    plain: sql.replace(MARKS_SLOT, ''),
    // A SELECT in a WITH runs only when read, whatever the statement's other rows: this branch reads it
    // and adds no row.
    marking: `${sql.replace(MARKS_SLOT, marks)}\nUNION ALL SELECT NULL FROM dispatched WHERE dispatched.marked < 0`,
  };
}

/** The fast path owns fresh outbox rows for DISPATCH_LEASE_MS; after that (a crash) the relay takes them. */
export const DISPATCH_LEASE = `interval '${DISPATCH_LEASE_MS / 1000} seconds'`;

/** A status list as SQL: `('running', 'compensating')`. */
export function sqlStatuses(statuses: readonly string[]): string {
  return `(${statuses.map((status) => `'${status}'`).join(', ')})`;
}

/** The statuses that hold the (type, key) slot, as in the partial unique index pm_process_active_key_uq. */
export function activePredicate(alias: string): string {
  return `(${alias}.status IN ${sqlStatuses(LIVE_STATUSES)} OR (${alias}.status IN ${sqlStatuses(HELD_UNTIL_ACKNOWLEDGED_STATUSES)} AND ${alias}.acknowledged_at IS NULL))`;
}

/** Loads by id (timers, retries, operations): $1 type, $2 process id, $3 message id. */
export const LOAD_BY_ID_SQL = `
SELECT p.*, EXISTS (SELECT 1 FROM pm_inbox WHERE handler = $1 AND message_id = $3) AS handled
FROM (SELECT 1) AS one
LEFT JOIN pm_process p ON p.id = $2 AND p.type = $1`;

/** Instances by id, for a claimed batch of timers: $1 ids. */
export const GET_MANY_SQL = `SELECT * FROM pm_process WHERE id = ANY($1::uuid[])`;

/**
 * The active instance for a key: $1 type, $2 correlation value, $3 message id, $4 association key or
 * null. Two index lookups, one by correlation key and one through pm_association, each giving its
 * first candidate; a single WHERE with `OR` between them would read every live instance of the type.
 * The association branch starts from pm_association whatever the statistics say (the lateral
 * subquery, kept apart by OFFSET 0, is a lookup per association row).
 */
export const LOAD_SQL = `
SELECT p.*, EXISTS (SELECT 1 FROM pm_inbox WHERE handler = $1 AND message_id = $3) AS handled
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
  SELECT * FROM (
    (SELECT * FROM pm_process q
     WHERE $4::text IS NULL AND q.type = $1 AND q.correlation_key = $2 AND ${activePredicate('q')}
     ORDER BY q.started_at, q.id
     LIMIT 1)
    UNION ALL
    (SELECT q.* FROM pm_association a
     CROSS JOIN LATERAL (
       SELECT * FROM pm_process q WHERE q.id = a.process_id AND q.type = $1 AND ${activePredicate('q')} OFFSET 0
     ) q
     WHERE a.type = $1 AND a.value = $2 AND ($4::text IS NULL OR a.key = $4)
     ORDER BY (q.correlation_key = $2) DESC, q.started_at, q.id
     LIMIT 1)
  ) c
  ORDER BY (c.correlation_key = $2) DESC, c.started_at, c.id
  LIMIT 1
) p ON true`;

/** $1..$12: id, type, correlation_key, status, state_name, state, version, started_at, updated_at, completed_at, last_error, expected version. */
const INSERT_PROCESS = `
INSERT INTO pm_process (id, type, correlation_key, status, state_name, state, version, started_at, updated_at, completed_at, last_error, state_version)
SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $25 WHERE $12::int = 0
RETURNING id, version, type`;

const UPDATE_PROCESS = `
UPDATE pm_process
SET status = $4, state_name = $5, state = $6, version = $7, started_at = $8, updated_at = $9, completed_at = $10,
  last_error = $11, stalled_at = CASE WHEN $15::text = 'stalled' THEN $9::timestamptz END, state_version = $25
WHERE id = $1 AND version = $12 AND type = $2 AND correlation_key = $3
RETURNING id, version, type`;

/**
 * $13..$24: message id (a fired timer's id: its row goes with the step), message type, outcome, from state, commands, error, note, outbox, associations, cancel all timers, cancelled timer names, timers;
 * $25..$27: state version, input payload, input metadata (the history row also keeps the state, $6);
 * $28, $29: when, and which outbox rows of earlier steps were dispatched (marks riding along, see PendingDispatchMarks). */
const STEP_TAIL = `
, i AS (
  INSERT INTO pm_inbox (handler, message_id, process_id, handled_at) SELECT p.type, $13, p.id, $9 FROM p
), h AS (
  INSERT INTO pm_history (process_id, seq, message_type, message_id, outcome, from_state, to_state, status, commands, error, note, at,
    state, state_version, input_payload, input_metadata)
  SELECT p.id, p.version, $14, $13, $15, $16, $5, $4, $17, $18, $19, $9, $6, $25, $26::jsonb, $27::jsonb FROM p
), o AS (
  INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at)
  SELECT m.id, p.id, m.kind, m.type, m.payload, m.metadata, $9, $9::timestamptz + ${DISPATCH_LEASE}
  FROM p, jsonb_to_recordset($20::jsonb) AS m(id uuid, kind text, type text, payload jsonb, metadata jsonb)
), a AS (
  INSERT INTO pm_association (type, key, value, process_id)
  SELECT p.type, x.key, x.value, p.id FROM p, jsonb_to_recordset($21::jsonb) AS x(key text, value text)
  ON CONFLICT DO NOTHING
), tc AS (
  DELETE FROM pm_timer t USING p
  WHERE t.process_id = p.id
    AND ($22::boolean OR t.name = ANY($23::text[]) OR t.id::text = $13)
    AND (t.name IS NULL OR t.name <> ALL (SELECT x.name FROM jsonb_to_recordset($24::jsonb) AS x(name text) WHERE x.name IS NOT NULL))
), ts AS (
  INSERT INTO pm_timer (id, process_id, process_type, name, due_at, message_type, payload, created_at, traceparent)
  SELECT x.id, p.id, p.type, x.name, x.due_at, x.message_type, x.payload, $9, x.traceparent
  FROM p, jsonb_to_recordset($24::jsonb)
    AS x(id uuid, name text, due_at timestamptz, message_type text, payload jsonb, traceparent text)
  ON CONFLICT (process_id, name) WHERE name IS NOT NULL
  DO UPDATE SET id = excluded.id, due_at = excluded.due_at, message_type = excluded.message_type,
    payload = excluded.payload, created_at = excluded.created_at, locked_until = NULL,
    traceparent = excluded.traceparent
)${MARKS_SLOT}
SELECT count(*)::int AS committed FROM p`;

export const INSERT_STEP = stepStatement(
  'pm_insert_step',
  `WITH p AS (${INSERT_PROCESS})${STEP_TAIL}`,
  '$28',
  '$29',
);
export const UPDATE_STEP = stepStatement(
  'pm_update_step',
  `WITH p AS (${UPDATE_PROCESS})${STEP_TAIL}`,
  '$28',
  '$29',
);

export const ENQUEUE_SQL = `
INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at)
SELECT m.id, m.process_id, m.kind, m.type, m.payload, m.metadata, $2, $2::timestamptz + ${DISPATCH_LEASE}
FROM jsonb_to_recordset($1::jsonb) AS m(id uuid, process_id uuid, kind text, type text, payload jsonb, metadata jsonb)
ON CONFLICT (id) DO NOTHING`;

/** A stateless handler's step: inbox mark and the messages it returned, or nothing when a duplicate; $5, $6 carried marks. */
export const REACTION = stepStatement(
  'pm_reaction',
  `
WITH i AS (
  INSERT INTO pm_inbox (handler, message_id, process_id, handled_at) VALUES ($1, $2, NULL, $3)
  ON CONFLICT DO NOTHING
  RETURNING handler
), o AS (
  INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at)
  SELECT m.id, NULL, m.kind, m.type, m.payload, m.metadata, $3, $3::timestamptz + ${DISPATCH_LEASE}
  FROM i, jsonb_to_recordset($4::jsonb) AS m(id uuid, kind text, type text, payload jsonb, metadata jsonb)
  ON CONFLICT (id) DO NOTHING
)${MARKS_SLOT}
SELECT count(*)::int AS committed FROM i`,
  '$5',
  '$6',
);

export const HANDLED_SQL = `SELECT EXISTS (SELECT 1 FROM pm_inbox WHERE handler = $1 AND message_id = $2) AS handled`;

/** $1 the ids as a JSON array, $2 when. */
export const MARK_DISPATCHED_SQL = `SELECT pm_mark_dispatched(ARRAY(SELECT jsonb_array_elements_text($1::jsonb)::uuid), $2)`;

/** $3 = when the relay may try again, or null when attempts ran out ($4 = now). */
export const MARK_DISPATCH_FAILED_SQL = `
UPDATE pm_outbox
SET attempts = attempts + 1, last_error = $2, available_at = COALESCE($3, available_at),
  failed_at = CASE WHEN $3::timestamptz IS NULL THEN $4::timestamptz END
WHERE id = $1`;

/** Ends or acknowledges an instance outside any event: $1 id, $2 at, $3 note. */
const MARKER_TAIL = (outcome: MarkerOutcome) => `
, h AS (
  INSERT INTO pm_history (process_id, seq, message_type, message_id, outcome, from_state, to_state, status, commands, note, at)
  SELECT p.id, p.version, '${MARKERS[outcome].messageType}', '${outcome}:' || p.version, '${outcome}', p.state_name, p.state_name, p.status, '[]', $3, $2 FROM p
)`;

export const ACKNOWLEDGE_SQL = `
WITH p AS (
  UPDATE pm_process SET acknowledged_at = $2, updated_at = $2, version = version + 1
  WHERE id = $1 AND status IN ${sqlStatuses(HELD_UNTIL_ACKNOWLEDGED_STATUSES)} AND acknowledged_at IS NULL
  RETURNING id, version, status, state_name
)${MARKER_TAIL('acknowledged')}
SELECT count(*)::int AS changed FROM p`;

export const CANCEL_SQL = `
WITH p AS (
  UPDATE pm_process SET status = 'cancelled', updated_at = $2, completed_at = $2, version = version + 1
  WHERE id = $1 AND status IN ${sqlStatuses(LIVE_STATUSES)}
  RETURNING id, version, status, state_name
)${MARKER_TAIL('cancelled')}
, t AS (DELETE FROM pm_timer WHERE process_id IN (SELECT id FROM p))
SELECT count(*)::int AS changed FROM p`;

/** An operator's retry, as a history row of its own (the version moves, so the row has its seq). */
export const RECORD_RETRY_SQL = `
WITH p AS (
  UPDATE pm_process SET updated_at = $2, version = version + 1
  WHERE id = $1
  RETURNING id, version, status, state_name
)${MARKER_TAIL('retried')}
SELECT count(*)::int AS changed FROM p`;

/** Active instances per type and status: its predicate is the partial index pm_process_active_key_uq's. */
export const COUNT_ACTIVE_SQL = `
SELECT p.type, p.status, count(*)::int AS count, count(p.stalled_at)::int AS stalled
FROM pm_process p
WHERE ${activePredicate('p')}
GROUP BY p.type, p.status`;

/** Live instances per type and named state (orphaned states at boot); reads the active-key partial index's rows. */
export const COUNT_LIVE_BY_STATE_SQL = `
SELECT p.type, p.state_name, count(*)::int AS count
FROM pm_process p
WHERE ${activePredicate('p')} AND p.status IN ${sqlStatuses(LIVE_STATUSES)} AND p.state_name IS NOT NULL
GROUP BY p.type, p.state_name`;

/** Constraint violations that mean "someone else got there first": re-load and re-run. */
export const RACE_CONSTRAINTS = new Set([
  'pm_process_active_key_uq',
  'pm_process_pkey',
  'pm_inbox_pk',
  'pm_outbox_pkey',
]);
