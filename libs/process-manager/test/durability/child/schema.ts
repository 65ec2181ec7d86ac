// Tables the durability specs create next to the library's own (shared by the specs and the child).

/** The two intakes: rows the test queues, taken by the children. Same columns for both. */
export const OUTBOX_INTAKE_QUEUE = 'outbox_intake_queue';
export const BROKER_QUEUE = 'broker_queue';

export const DURABILITY_SCHEMA = [
  ...[OUTBOX_INTAKE_QUEUE, BROKER_QUEUE].map(
    (table) => `
    CREATE TABLE ${table} (
      id bigserial PRIMARY KEY,
      event_id text NOT NULL,
      account_id text NOT NULL,
      amount int NOT NULL,
      events_per_account int NOT NULL
    )`,
  ),
  // The business change written in the same transaction as Outbox.send (no unique constraint).
  `CREATE TABLE intake (
    event_id text NOT NULL,
    account_id text NOT NULL,
    amount int NOT NULL,
    instance text,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
  )`,
  // One row per handled command; no unique constraint, so duplicates stay countable.
  `CREATE TABLE effects (
    kind text NOT NULL,
    command_id text,
    account_id text NOT NULL,
    event_id text NOT NULL,
    amount int NOT NULL,
    instance text,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
  )`,
];

/** A queued event as the children read it. */
export interface QueuedEvent {
  id: string;
  event_id: string;
  account_id: string;
  amount: number;
  events_per_account: number;
}
