/** Outbox rows waiting to be sent: counts the partial index pm_outbox_pending_created_idx only. */
export const PENDING_OUTBOX_COUNT_SQL = `
SELECT count(*)::int AS count FROM pm_outbox WHERE dispatched_at IS NULL AND failed_at IS NULL`;
