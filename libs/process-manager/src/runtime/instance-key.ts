/**
 * The one identity of a process instance inside an app: its type and correlation key, fixed for the
 * instance's life. The instance queue, the instance cache and the commit batcher all key by it, so
 * that every delivery to one instance (event, timer, retry, operator action, stall report) queues in
 * one line whatever it was addressed by.
 */
export function instanceKey(type: string, correlationKey: string): string {
  return `${type}\u0000${correlationKey}`;
}
