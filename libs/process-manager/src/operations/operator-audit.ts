/** Who did an operator action and why; recorded in the instance's history. */
export interface OperatorAudit {
  /** The operator, e.g. the dashboard's `actor(request)`. */
  actor?: string;
  reason: string;
}

/** A pending timer of an instance, as `timers(processId)` lists it. */
export interface PendingTimer {
  id: string;
  /** The name given to `ctx.schedule()`; repairs address a timer by it. Unnamed timers are listed only. */
  name?: string;
  dueAt: Date;
  messageType: string;
  payload: Record<string, unknown>;
}

/**
 * The history note of an operator action: `what: reason (by actor)`, each part when known. The actor
 * and reason live in the note until the history has columns of their own.
 */
export function auditNote(audit: Partial<OperatorAudit> | undefined, what?: string): string | undefined {
  const text = [what, audit?.reason].filter(Boolean).join(': ');
  const by = audit?.actor ? `by ${audit.actor}` : '';
  if (text && by) return `${text} (${by})`;
  return text || by || undefined;
}
