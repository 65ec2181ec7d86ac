import { InvalidArgumentError } from '../errors/index.js';
import { describeValue } from '../errors/describe-value.js';
import { parseDuration } from '../kernel/duration.js';

/** What `ProcessManagerHealthIndicator.isHealthy()` counts as down. Durations: ms or `'30s'`, `'2m'`, … */
export interface ProcessManagerHealthThresholds {
  /**
   * Down when the oldest outbox row that is neither dispatched nor given up on is older than this:
   * messages are not leaving (dispatch blocked, relay not running). `false`: not checked.
   * @default '60s'
   */
  outboxLag?: number | string | false;
  /** Down when a due timer has waited longer than this to fire. `false`: not checked. @default '60s' */
  timerLag?: number | string | false;
  /**
   * Down when more dead letters than this wait for an operator (0: any). Not checked unless set.
   * @default false
   */
  deadLetters?: number | false;
  /**
   * Down when the message transport (e.g. `RabbitMqTransportModule`), if the app has one, has had no
   * connection to its broker for this long. The grace lets a dropped connection reconnect (its first
   * retry comes within a second) without a failed check; nothing is lost meanwhile, the outbox and the
   * broker's queue keep the messages. `0`: down at once; `false`: not checked.
   * @default '5s'
   */
  transportOutage?: number | string | false;
  /** Down when the database has not answered within this. @default '5s' */
  timeout?: number | string;
}

export interface ResolvedHealthThresholds {
  outboxLagMs: number | false;
  timerLagMs: number | false;
  deadLetters: number | false;
  transportOutageMs: number | false;
  timeoutMs: number;
}

const OPERATION = 'ProcessManagerHealthIndicator.isHealthy()';

export function resolveThresholds(thresholds: ProcessManagerHealthThresholds): ResolvedHealthThresholds {
  const {
    outboxLag = '60s',
    timerLag = '60s',
    deadLetters = false,
    transportOutage = '5s',
    timeout = '5s',
  } = thresholds;
  if (deadLetters !== false && !(Number.isSafeInteger(deadLetters) && deadLetters >= 0))
    throw new InvalidArgumentError(
      OPERATION,
      'deadLetters',
      `is ${describeValue(deadLetters)}; pass a whole number ≥ 0 (the most open dead letters still healthy) or false`,
    );
  return {
    outboxLagMs: duration('outboxLag', outboxLag, true),
    timerLagMs: duration('timerLag', timerLag, true),
    deadLetters,
    transportOutageMs: duration('transportOutage', transportOutage, true),
    timeoutMs: duration('timeout', timeout, false) as number,
  };
}

function duration(name: string, value: unknown, mayBeOff: boolean): number | false {
  if (value === false && mayBeOff) return false;
  try {
    return parseDuration(value as number | string);
  } catch {
    throw new InvalidArgumentError(
      OPERATION,
      name,
      `is ${describeValue(value)}; pass milliseconds or a duration such as '30s', '2m'${mayBeOff ? ', or false' : ''}`,
    );
  }
}
