import type { ResolvedProcessManagerOptions } from './options.js';

/**
 * Delay before attempt `attempt + 1` after `attempt` failures: exponential, capped, with "full jitter"
 * between half and all of it so that a burst of failures does not retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  retry: ResolvedProcessManagerOptions['retry'],
  random: () => number = Math.random,
): number {
  const exponential = Math.min(
    retry.initialDelayMs * retry.factor ** Math.max(attempt - 1, 0),
    retry.maxDelayMs,
  );
  return Math.round(exponential * (0.5 + random() / 2));
}
