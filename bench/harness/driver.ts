import { performance } from 'node:perf_hooks';

/** What one closed-loop run measured. */
export interface DriveResult {
  /** Events sent (fewer than asked when the time limit cut the run short). */
  events: number;
  elapsedMs: number;
  latenciesMs: Float64Array;
  failed: number;
}

/**
 * Closed loop: `inFlight` workers each send the next event and wait for it to be done, so exactly
 * `inFlight` events are outstanding at any time. `send` resolves false for a failed event. After
 * `maxMs` no new event is sent; those in flight finish.
 */
export async function drive(
  count: number,
  inFlight: number,
  send: (index: number) => Promise<boolean>,
  maxMs = Number.POSITIVE_INFINITY,
): Promise<DriveResult> {
  const latenciesMs = new Float64Array(count);
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const deadline = started + maxMs;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const index = next++;
      const sent = performance.now();
      const ok = await send(index);
      latenciesMs[index] = performance.now() - sent;
      if (!ok) failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return {
    events: next,
    elapsedMs: performance.now() - started,
    latenciesMs: latenciesMs.subarray(0, next),
    failed,
  };
}
