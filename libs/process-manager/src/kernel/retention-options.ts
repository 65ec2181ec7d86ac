import { InvalidOptionsError } from '../errors/index.js';
import { parseDuration } from './duration.js';

/**
 * What the periodic job `pm:retention` deletes, and after how long. Durations are milliseconds or
 * strings such as `'30s'`, `'15m'`, `'2h'`, `'7d'`.
 */
export interface RetentionOptions {
  /**
   * Run `pm:retention` in this app. Several app instances may all run it: they share the work.
   * @default true
   */
  enabled?: boolean;
  /** @default 60_000 */
  intervalMs?: number;
  /**
   * How long a handled message's inbox (dedupe) mark is kept: the duplicate window. A duplicate that
   * arrives later than this is applied again.
   * @default '7d'
   */
  inbox?: number | string;
  /**
   * How long an outbox row is kept once dispatched; resending a step's commands (`retry()` of a stuck
   * instance, `onStuck: 'resend'`) finds them only this long. Keep it within `inbox`: a duplicate
   * past its inbox mark re-runs its step with the same outgoing ids, and conflicts (retried) for as
   * long as the first run's rows are kept.
   * @default '1d'
   */
  dispatchedOutbox?: number | string;
  /**
   * How long a finished instance is kept with its history, timers and associations: since it completed
   * or was cancelled, or, when failed, since its failure was acknowledged. `false` keeps them.
   * @default false
   */
  finishedProcesses?: number | string | false;
  /** How long a dead letter retried with success is kept (as resolved). `false` keeps them. @default '30d' */
  resolvedDeadLetters?: number | string | false;
}

/** Retention options with defaults applied and durations in milliseconds. */
export interface ResolvedRetentionOptions {
  enabled: boolean;
  intervalMs: number;
  inbox: number;
  dispatchedOutbox: number;
  finishedProcesses: number | false;
  resolvedDeadLetters: number | false;
}

export const DEFAULT_RETENTION: ResolvedRetentionOptions = {
  enabled: true,
  intervalMs: 60_000,
  inbox: parseDuration('7d'),
  dispatchedOutbox: parseDuration('1d'),
  finishedProcesses: false,
  resolvedDeadLetters: parseDuration('30d'),
};

const WINDOWS = ['inbox', 'dispatchedOutbox', 'finishedProcesses', 'resolvedDeadLetters'] as const;
const MAY_BE_OFF: readonly string[] = ['finishedProcesses', 'resolvedDeadLetters'];

/**
 * Applies the defaults (an option given as `undefined` takes its default) and turns each window into
 * milliseconds; a window that is no duration is an `InvalidOptionsError` naming it. Anything but an
 * object is passed on as it came, for the options check to refuse.
 */
export function resolveRetention(options: RetentionOptions | undefined): ResolvedRetentionOptions {
  if (options === undefined) return DEFAULT_RETENTION;
  if (typeof options !== 'object' || options === null) return options as ResolvedRetentionOptions;
  const resolved: Record<string, unknown> = { ...DEFAULT_RETENTION };
  for (const [name, value] of Object.entries(options)) if (value !== undefined) resolved[name] = value;
  for (const name of WINDOWS) resolved[name] = windowMs(name, resolved[name]);
  return resolved as unknown as ResolvedRetentionOptions;
}

function windowMs(name: (typeof WINDOWS)[number], value: unknown): number | false {
  if (value === false && MAY_BE_OFF.includes(name)) return false;
  try {
    return parseDuration(value as number | string);
  } catch {
    const off = MAY_BE_OFF.includes(name) ? ', or false to keep them' : '';
    throw new InvalidOptionsError(
      `retention.${name}`,
      value,
      `a duration: milliseconds or a string such as '30s', '15m', '2h', '7d' (at most 1000 years)${off}`,
    );
  }
}
