import { DISPATCH_LEASE, MARKS_SLOT, stepStatement } from './process-sql.js';

/**
 * The steps of several instances in ONE statement (one round trip, one commit): the set-based form
 * of INSERT_STEP / UPDATE_STEP. Each decision is checked on its own — version, active key,
 * inbox — and only those that pass (returned ids) are written; the others are conflicts to re-run.
 *
 * Parameters line up by index (see `batchValues`), one element per decision: typed arrays for the
 * scalar columns, whose lengths give each batch a plan for its size, and for the JSON columns one JSON
 * array each (element n of the decision or row with ordinality n), which goes to PostgreSQL as written
 * (a `jsonb[]` parameter is re-escaped, element by element, into an array literal):
 * $1 ids, $2 types, $3 correlation keys, $4 statuses, $5 state names, $6 states (JSON), $7 versions,
 * $8 started at, $9 updated at, $10 completed at, $11 last errors, $12 expected versions, $13 is new,
 * $14 message ids, $15 message types, $16 outcomes, $17 from states, $18 commands (JSON), $19 errors,
 * $20 notes, $21 cancel all timers.
 * The decisions' outbox rows, associations, scheduled timers and cancelled timer names are flattened
 * into arrays of their own, each row naming its owner (the process id):
 * outbox $22 owner, $23 id, $24 kind, $25 type, $26 payload (JSON), $27 metadata (JSON);
 * associations $28 owner, $29 key, $30 value;
 * timers $31 owner, $32 id, $33 name, $34 due at, $35 message type, $36 payload (JSON);
 * cancelled timer names $37 owner, $38 name;
 * and per decision again: $39 state versions, $40 input payloads (JSON), $41 input metadata (JSON).
 * Then $42, the scheduled timers' trace contexts (beside $31..$36); $43, $44 the carried dispatched marks.
 * `unnest` of typed arrays gives the planner exact row counts and plain scans; the `= ANY(...)`
 * conditions repeat what the joins say so that the indexes are used even under a generic plan.
 */
export const BATCH_STEP = stepStatement(
  'pm_batch_step',
  `
WITH d AS MATERIALIZED (
  SELECT u.id, u.type, u.correlation_key, u.status, u.state_name, $6::jsonb -> (u.n::int - 1) AS state, u.version,
    u.started_at, u.updated_at, u.completed_at, u.last_error, u.expected, u.is_new, u.message_id, u.message_type,
    u.outcome, u.from_state, $18::jsonb -> (u.n::int - 1) AS commands, u.error, u.note, u.cancel_all, u.state_version,
    NULLIF($40::jsonb -> (u.n::int - 1), 'null') AS input_payload,
    NULLIF($41::jsonb -> (u.n::int - 1), 'null') AS input_metadata
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $7::int[],
    $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::int[], $13::boolean[],
    $14::text[], $15::text[], $16::text[], $17::text[], $19::text[], $20::text[], $21::boolean[], $39::int[])
    WITH ORDINALITY
    AS u(id, type, correlation_key, status, state_name, version, started_at, updated_at, completed_at,
      last_error, expected, is_new, message_id, message_type, outcome, from_state, error, note, cancel_all,
      state_version, n)
), fresh AS MATERIALIZED (
  SELECT d.* FROM d
  WHERE NOT EXISTS (
    SELECT 1 FROM pm_inbox i
    WHERE i.handler = ANY($2::text[]) AND i.message_id = ANY($14::text[])
      AND i.handler = d.type AND i.message_id = d.message_id)
), updated AS (
  UPDATE pm_process p
  SET status = f.status, state_name = f.state_name, state = f.state, version = f.version, started_at = f.started_at,
    updated_at = f.updated_at, completed_at = f.completed_at, last_error = f.last_error,
    stalled_at = CASE WHEN f.outcome = 'stalled' THEN f.updated_at END, state_version = f.state_version
  FROM fresh f
  WHERE p.id = ANY($1::uuid[]) AND NOT f.is_new AND p.id = f.id AND p.version = f.expected
    AND p.type = f.type AND p.correlation_key = f.correlation_key
  RETURNING p.id
), inserted AS (
  INSERT INTO pm_process (id, type, correlation_key, status, state_name, state, version, started_at, updated_at,
    completed_at, last_error, state_version)
  SELECT id, type, correlation_key, status, state_name, state, version, started_at, updated_at, completed_at, last_error,
    state_version
  FROM fresh WHERE is_new AND expected = 0
  ON CONFLICT DO NOTHING
  RETURNING id
), ok AS MATERIALIZED (
  SELECT f.* FROM fresh f JOIN (SELECT id FROM updated UNION ALL SELECT id FROM inserted) c ON c.id = f.id
), i AS (
  INSERT INTO pm_inbox (handler, message_id, process_id, handled_at)
  SELECT type, message_id, id, updated_at FROM ok
), h AS (
  INSERT INTO pm_history (process_id, seq, message_type, message_id, outcome, from_state, to_state, status, commands,
    error, note, at, state, state_version, input_payload, input_metadata)
  SELECT id, version, message_type, message_id, outcome, from_state, state_name, status, commands, error, note, updated_at,
    state, state_version, input_payload, input_metadata
  FROM ok
), o AS (
  INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at)
  SELECT m.id, ok.id, m.kind, m.type, $26::jsonb -> (m.n::int - 1), $27::jsonb -> (m.n::int - 1), ok.updated_at,
    ok.updated_at + ${DISPATCH_LEASE}
  FROM unnest($22::uuid[], $23::uuid[], $24::text[], $25::text[]) WITH ORDINALITY AS m(owner, id, kind, type, n)
  JOIN ok ON ok.id = m.owner
), a AS (
  INSERT INTO pm_association (type, key, value, process_id)
  SELECT ok.type, x.key, x.value, ok.id
  FROM unnest($28::uuid[], $29::text[], $30::text[]) AS x(owner, key, value)
  JOIN ok ON ok.id = x.owner
  ON CONFLICT DO NOTHING
), s AS (
  SELECT s.owner, s.id, s.name, s.due_at, s.message_type, $36::jsonb -> (s.n::int - 1) AS payload, s.traceparent
  FROM unnest($31::uuid[], $32::uuid[], $33::text[], $34::timestamptz[], $35::text[], $42::text[]) WITH ORDINALITY
    AS s(owner, id, name, due_at, message_type, traceparent, n)
), tc AS (
  DELETE FROM pm_timer t USING ok
  WHERE t.process_id = ANY($1::uuid[]) AND t.process_id = ok.id
    AND (ok.cancel_all OR t.id::text = ok.message_id
      OR EXISTS (SELECT 1 FROM unnest($37::uuid[], $38::text[]) AS c(owner, name) WHERE c.owner = ok.id AND c.name = t.name))
    AND (t.name IS NULL OR NOT EXISTS (SELECT 1 FROM s WHERE s.owner = ok.id AND s.name = t.name))
), ts AS (
  INSERT INTO pm_timer (id, process_id, process_type, name, due_at, message_type, payload, created_at, traceparent)
  SELECT s.id, ok.id, ok.type, s.name, s.due_at, s.message_type, s.payload, ok.updated_at, s.traceparent
  FROM s JOIN ok ON ok.id = s.owner
  ON CONFLICT (process_id, name) WHERE name IS NOT NULL
  DO UPDATE SET id = excluded.id, due_at = excluded.due_at, message_type = excluded.message_type,
    payload = excluded.payload, created_at = excluded.created_at, locked_until = NULL,
    traceparent = excluded.traceparent
)${MARKS_SLOT}
SELECT id FROM ok`,
  '$43',
  '$44',
);

/**
 * Several stateless reactions in ONE statement: the set-based form of REACTION. $1 handlers, $2 message
 * ids, $3 times (one per reaction); their messages flattened, each naming its reaction by ordinality:
 * $4 owner, $5 id, $6 kind, $7 type, $8 payloads (JSON array), $9 metadata (JSON array); $10, $11 the
 * carried dispatched marks. Returns the ordinalities (n) of the reactions whose inbox mark was new; the
 * others are duplicates and write nothing. A batch holds each handler and message at most once; the
 * inbox rows go in key order, so that two batches racing on the same messages wait instead of deadlocking.
 */
export const BATCH_REACTION = stepStatement(
  'pm_batch_reaction',
  `
WITH r AS MATERIALIZED (
  SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) WITH ORDINALITY AS r(handler, message_id, at, n)
), i AS (
  INSERT INTO pm_inbox (handler, message_id, process_id, handled_at)
  SELECT handler, message_id, NULL, at FROM r ORDER BY handler, message_id
  ON CONFLICT DO NOTHING
  RETURNING handler, message_id
), o AS (
  INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at)
  SELECT m.id, NULL, m.kind, m.type, $8::jsonb -> (m.n::int - 1), $9::jsonb -> (m.n::int - 1), r.at,
    r.at + ${DISPATCH_LEASE}
  FROM unnest($4::int[], $5::uuid[], $6::text[], $7::text[]) WITH ORDINALITY AS m(owner, id, kind, type, n)
  JOIN r ON r.n = m.owner
  JOIN i ON i.handler = r.handler AND i.message_id = r.message_id
  ON CONFLICT (id) DO NOTHING
)${MARKS_SLOT}
SELECT r.n::int AS n FROM r JOIN i ON i.handler = r.handler AND i.message_id = r.message_id`,
  '$10',
  '$11',
);
