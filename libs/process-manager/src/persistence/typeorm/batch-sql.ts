import { DISPATCH_LEASE_MS } from './process-sql.js';

/**
 * The steps of several instances in ONE statement (one round trip, one commit): the set-based form
 * of INSERT_STEP_SQL / UPDATE_STEP_SQL. Each decision is checked on its own — version, active key,
 * inbox — and only those that pass (returned ids) are written; the others are conflicts to re-run.
 * $1: the decisions as a JSON array (see `toBatchJson`); $2 their process ids, $3 their message ids.
 * The `= ANY($2)` / `= ANY($3)` conditions repeat what the joins say, for the planner: it cannot see
 * how few rows `jsonb_to_recordset` yields (it guesses 100) and would scan whole tables; with the
 * arrays (and a plan per call: the statement is not prepared) it uses the indexes.
 */
export const BATCH_STEP_SQL = `
WITH d AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(
    id uuid, type text, correlation_key text, status text, state_name text, state jsonb, version int,
    started_at timestamptz, updated_at timestamptz, completed_at timestamptz, last_error text,
    expected int, is_new boolean, message_id text, message_type text, outcome text, from_state text,
    commands jsonb, error text, note text, outbox jsonb, associations jsonb, cancel_all boolean,
    cancelled jsonb, timers jsonb)
), fresh AS (
  SELECT d.* FROM d
  WHERE NOT EXISTS (
    SELECT 1 FROM pm_inbox i WHERE i.message_id = ANY($3::text[]) AND i.handler = d.type AND i.message_id = d.message_id)
), updated AS (
  UPDATE pm_process p
  SET status = f.status, state_name = f.state_name, state = f.state, version = f.version,
    updated_at = f.updated_at, completed_at = f.completed_at, last_error = f.last_error,
    stalled_at = CASE WHEN f.outcome = 'stalled' THEN f.updated_at END
  FROM fresh f
  WHERE p.id = ANY($2::uuid[]) AND NOT f.is_new AND p.id = f.id AND p.version = f.expected
  RETURNING p.id
), inserted AS (
  INSERT INTO pm_process (id, type, correlation_key, status, state_name, state, version, started_at, updated_at,
    completed_at, last_error)
  SELECT id, type, correlation_key, status, state_name, state, version, started_at, updated_at, completed_at, last_error
  FROM fresh WHERE is_new
  ON CONFLICT DO NOTHING
  RETURNING id
), ok AS (
  SELECT f.* FROM fresh f JOIN (SELECT id FROM updated UNION ALL SELECT id FROM inserted) c ON c.id = f.id
), i AS (
  INSERT INTO pm_inbox (handler, message_id, process_id, handled_at)
  SELECT type, message_id, id, updated_at FROM ok
), h AS (
  INSERT INTO pm_history (process_id, seq, message_type, message_id, outcome, from_state, to_state, status, commands,
    error, note, at)
  SELECT id, version, message_type, message_id, outcome, from_state, state_name, status, commands, error, note, updated_at
  FROM ok
), o AS (
  INSERT INTO pm_outbox (id, process_id, kind, type, payload, metadata, created_at, available_at)
  SELECT m.id, ok.id, m.kind, m.type, m.payload, m.metadata, ok.updated_at,
    ok.updated_at + interval '${DISPATCH_LEASE_MS / 1000} seconds'
  FROM ok, jsonb_to_recordset(ok.outbox) AS m(id uuid, kind text, type text, payload jsonb, metadata jsonb)
), a AS (
  INSERT INTO pm_association (type, key, value, process_id)
  SELECT ok.type, x.key, x.value, ok.id FROM ok, jsonb_to_recordset(ok.associations) AS x(key text, value text)
  ON CONFLICT DO NOTHING
), tc AS (
  DELETE FROM pm_timer t USING ok
  WHERE t.process_id = ANY($2::uuid[]) AND t.process_id = ok.id
    AND (ok.cancel_all OR t.name IN (SELECT jsonb_array_elements_text(ok.cancelled)) OR t.id::text = ok.message_id)
    AND (t.name IS NULL OR t.name NOT IN (
      SELECT x.name FROM jsonb_to_recordset(ok.timers) AS x(name text) WHERE x.name IS NOT NULL))
), ts AS (
  INSERT INTO pm_timer (id, process_id, process_type, name, due_at, message_type, payload, created_at)
  SELECT x.id, ok.id, ok.type, x.name, x.due_at, x.message_type, x.payload, ok.updated_at
  FROM ok, jsonb_to_recordset(ok.timers) AS x(id uuid, name text, due_at timestamptz, message_type text, payload jsonb)
  ON CONFLICT (process_id, name) WHERE name IS NOT NULL
  DO UPDATE SET id = excluded.id, due_at = excluded.due_at, message_type = excluded.message_type,
    payload = excluded.payload, created_at = excluded.created_at, locked_until = NULL
)
SELECT id FROM ok`;
