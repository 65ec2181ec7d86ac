import { InvalidArgumentError } from '../errors/index.js';
import { describeValue } from '../errors/describe-value.js';
import type { ProcessStatus } from '../kernel/process-context.js';
import { correlationKeyOf, textProblem } from '../kernel/text-rules.js';
import { listLimit } from '../ports/list-cursor.js';
import type { ListQuery } from '../ports/records.js';

const STATUSES: readonly ProcessStatus[] = ['running', 'compensating', 'completed', 'failed', 'cancelled'];

/**
 * Arguments of `ProcessManagerService` calls, checked before they reach a store: a NUL, a lone
 * surrogate, `NaN` or an empty status list would otherwise come back as a raw driver error (or, for a
 * lone surrogate, silently match another key).
 */
export function checkText(operation: string, argument: string, value: unknown, optional = false): void {
  if (optional && value === undefined) return;
  const problem = typeof value === 'string' ? textProblem(value) : 'is not a string';
  if (problem) throw new InvalidArgumentError(operation, argument, `${describeValue(value)} ${problem}`);
}

/** A correlation key as `find()` and `list()` look it up: a string, or a finite number as its text. */
export function checkCorrelationKey(operation: string, value: unknown): string {
  const { key, problem } = correlationKeyOf(value);
  if (problem !== undefined) {
    throw new InvalidArgumentError(operation, 'correlationKey', `${describeValue(value)} ${problem}`);
  }
  return key;
}

export function checkListQuery(query: unknown): ListQuery {
  const operation = 'list()';
  if (typeof query !== 'object' || query === null) {
    throw new InvalidArgumentError(operation, 'the query', `is ${describeValue(query)}, not an object`);
  }
  const given = query as ListQuery;
  checkText(operation, 'type', given.type, true);
  checkText(operation, 'stateName', given.stateName, true);
  listLimit(given.limit, operation);
  checkStatus(operation, given.status);
  const { updatedBefore, state } = given;
  if (
    updatedBefore !== undefined &&
    !(updatedBefore instanceof Date && !Number.isNaN(updatedBefore.getTime()))
  ) {
    throw new InvalidArgumentError(
      operation,
      'updatedBefore',
      `is ${describeValue(updatedBefore)}, not a valid Date`,
    );
  }
  if (state !== undefined && typeof state !== 'boolean') {
    throw new InvalidArgumentError(
      operation,
      'state',
      `is ${describeValue(state)}; pass false for summaries`,
    );
  }
  return given.correlationKey === undefined
    ? given
    : { ...given, correlationKey: checkCorrelationKey(operation, given.correlationKey) };
}

function checkStatus(operation: string, status: unknown): void {
  if (status === undefined) return;
  const statuses: unknown[] = Array.isArray(status) ? status : [status];
  const wrong = statuses.findIndex((value) => !STATUSES.includes(value as ProcessStatus));
  if (statuses.length > 0 && wrong < 0) return;
  const reason =
    statuses.length === 0
      ? 'is an empty list (it would match nothing; leave status out to match every status)'
      : `holds ${describeValue(statuses[wrong])}, which is not a status`;
  throw new InvalidArgumentError(
    operation,
    'status',
    `${reason}: use ${STATUSES.map((s) => `'${s}'`).join(', ')}`,
  );
}
