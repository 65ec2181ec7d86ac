import { Injectable } from '@nestjs/common';
import {
  InvalidArgumentError,
  InvalidProcessStatusError,
  ProcessNotFoundError,
  RepairConflictError,
  RepairReasonRequiredError,
  TimerNotFoundError,
} from '../errors/index.js';
import { describeValue } from '../errors/describe-value.js';
import { Clock } from '../kernel/clock.js';
import { toPlainJson } from '../kernel/plain-json.js';
import { isLive, type ProcessInstance } from '../kernel/process-instance.js';
import { MAX_LIST_LIMIT } from '../ports/list-cursor.js';
import {
  type DeadLetterFilter,
  OperatorStore,
  type PendingOutboxRow,
  type StatePatch,
} from '../ports/operator-store.js';
import { ProcessQueries } from '../ports/process-queries.js';
import type { FailureRecord } from '../ports/records.js';
import { ProcessRunner } from '../runtime/process-runner.js';
import { CLAIM_LEASE_MS } from '../scheduling/timer.poller.js';
import { checkText } from './argument-checks.js';
import { auditNote, type OperatorAudit, type PendingTimer } from './operator-audit.js';
import { stateDiff } from './state-diff.js';

/** A state repair re-reads and re-tries this often when deliveries in other apps keep moving the instance. */
const REPAIR_ATTEMPTS = 5;

/**
 * Operators' repairs of one instance (DESIGN §3.2), behind `ProcessManagerService`. Each runs in the
 * instance's line in this app (`ProcessRunner.exclusive`), is one version-checked write (a step in flight
 * elsewhere re-runs on it), and leaves a `repaired` history row with what changed, the reason and actor.
 */
@Injectable()
export class OperatorRepairs {
  constructor(
    private readonly store: OperatorStore,
    private readonly queries: ProcessQueries,
    private readonly runner: ProcessRunner,
    private readonly clock: Clock,
  ) {}

  async timers(processId: string): Promise<PendingTimer[]> {
    checkText('timers()', 'processId', processId);
    if (!(await this.queries.get(processId))) throw new ProcessNotFoundError(processId);
    const timers = await this.store.pendingTimers(processId);
    return timers.map(({ id, name, dueAt, messageType, payload }) => ({
      id,
      ...(name !== undefined && { name }),
      dueAt,
      messageType,
      payload,
    }));
  }

  async rescheduleTimer(
    processId: string,
    name: string,
    at: Date,
    audit?: Partial<OperatorAudit>,
  ): Promise<void> {
    const operation = 'rescheduleTimer()';
    checkTimerCall(operation, processId, name, audit);
    if (!(at instanceof Date) || Number.isNaN(at.getTime()))
      throw new InvalidArgumentError(operation, 'at', `is ${describeValue(at)}, not a valid Date`);
    const note = auditNote(audit, `Timer ${name} rescheduled to ${at.toISOString()}`)!;
    const write = () => this.store.rescheduleTimer(processId, name, at, note, this.clock.now());
    if (await this.runner.exclusive(processId, write)) return;
    throw await this.whyNotTimer(processId, name, 'reschedule a timer of');
  }

  async cancelTimer(processId: string, name: string, audit?: Partial<OperatorAudit>): Promise<void> {
    checkTimerCall('cancelTimer()', processId, name, audit);
    const note = auditNote(audit, `Timer ${name} cancelled`)!;
    const write = () => this.store.cancelTimer(processId, name, note, this.clock.now());
    if (await this.runner.exclusive(processId, write)) return;
    throw await this.whyNotTimer(processId, name, 'cancel a timer of');
  }

  /** Makes the timer due now and delivers it through the timers' own path (deduped by its id, in line). */
  async fireTimer(processId: string, name: string, audit?: Partial<OperatorAudit>): Promise<void> {
    checkTimerCall('fireTimer()', processId, name, audit);
    const note = auditNote(audit, `Timer ${name} fired now`)!;
    const claim = () => {
      const now = this.clock.now();
      const leaseUntil = new Date(now.getTime() + CLAIM_LEASE_MS);
      return this.store.claimTimerNow(processId, name, leaseUntil, note, now);
    };
    const timer = await this.runner.exclusive(processId, claim);
    if (!timer) throw await this.whyNotTimer(processId, name, 'fire a timer of');
    await this.runner.deliverTimer(timer);
  }

  async editState(processId: string, state: object, audit: OperatorAudit): Promise<void> {
    const operation = 'editState()';
    checkRepairCall(operation, processId, audit);
    if (typeof state !== 'object' || state === null || Array.isArray(state))
      throw new InvalidArgumentError(operation, 'state', `is ${describeValue(state)}, not an object`);
    const { json, refused } = toPlainJson(state, 'state');
    if (refused) throw new InvalidArgumentError(operation, 'state', refused.toString());
    const next = json as Record<string, unknown>;
    await this.repair(processId, 'edit the state of', (instance) => ({
      patch: { state: next },
      note: `${auditNote(audit, 'State edited')}; diff: ${JSON.stringify(stateDiff(instance.state, next))}`,
    }));
  }

  async forceTransition(processId: string, stateName: string, audit: OperatorAudit): Promise<void> {
    const operation = 'forceTransition()';
    checkRepairCall(operation, processId, audit);
    checkText(operation, 'stateName', stateName);
    if (stateName.trim() === '') throw new InvalidArgumentError(operation, 'stateName', 'is empty');
    await this.repair(processId, 'force a transition of', (instance) => ({
      patch: { stateName },
      note: auditNote(audit, `Forced from ${instance.stateName ?? '(no state)'} to ${stateName}`)!,
    }));
  }

  /** Open dead letters matching the filter: what `retryDeadLetters(filter)` would re-run. */
  countDeadLetters(filter: DeadLetterFilter = {}): Promise<number> {
    return this.store.countMatchingDeadLetters(checkFilter('countDeadLetters()', filter));
  }

  /** The matching dead letters, oldest first, every page. */
  async matchingDeadLetters(filter: DeadLetterFilter = {}): Promise<FailureRecord[]> {
    const checked = checkFilter('retryDeadLetters()', filter);
    const all: FailureRecord[] = [];
    let page = await this.store.matchingDeadLetters(checked, MAX_LIST_LIMIT);
    all.push(...page);
    while (page.length === MAX_LIST_LIMIT) {
      page = await this.store.matchingDeadLetters(checked, MAX_LIST_LIMIT, page.at(-1));
      all.push(...page);
    }
    return all;
  }

  /** The instance's outbox rows not sent yet: waiting for the relay, or given up on. */
  async pendingOutbox(processId: string): Promise<PendingOutboxRow[]> {
    checkText('pendingOutbox()', 'processId', processId);
    return this.store.pendingOutbox(processId);
  }

  /** Reads the instance and writes the repair against the version read, again if another app moved it. */
  private async repair(
    processId: string,
    operation: string,
    change: (instance: ProcessInstance) => { patch: StatePatch; note: string },
  ): Promise<void> {
    for (let attempt = 0; attempt < REPAIR_ATTEMPTS; attempt++) {
      const done = await this.runner.exclusive(processId, async () => {
        const instance = await this.queries.get(processId);
        if (!instance) throw new ProcessNotFoundError(processId);
        if (!isLive(instance.status))
          throw new InvalidProcessStatusError(processId, operation, instance.status);
        const { patch, note } = change(instance);
        return this.store.repairState(processId, instance.version, patch, note, this.clock.now());
      });
      if (done) return;
    }
    throw new RepairConflictError(operation, processId, REPAIR_ATTEMPTS);
  }

  private async whyNotTimer(processId: string, name: string, operation: string): Promise<Error> {
    const instance = await this.queries.get(processId);
    if (!instance) return new ProcessNotFoundError(processId);
    if (!isLive(instance.status)) return new InvalidProcessStatusError(processId, operation, instance.status);
    return new TimerNotFoundError(processId, name);
  }
}

function checkTimerCall(
  operation: string,
  processId: string,
  name: string,
  audit: Partial<OperatorAudit> | undefined,
): void {
  checkText(operation, 'processId', processId);
  checkText(operation, 'the timer name', name);
  checkText(operation, 'the reason', audit?.reason, true);
  checkText(operation, 'the actor', audit?.actor, true);
}

function checkRepairCall(operation: string, processId: string, audit: OperatorAudit | undefined): void {
  checkText(operation, 'processId', processId);
  if (typeof audit?.reason !== 'string' || audit.reason.trim() === '')
    throw new RepairReasonRequiredError(operation, processId);
  checkText(operation, 'the reason', audit.reason);
  checkText(operation, 'the actor', audit.actor, true);
}

function checkFilter(operation: string, filter: DeadLetterFilter): DeadLetterFilter {
  if (typeof filter !== 'object' || filter === null)
    throw new InvalidArgumentError(operation, 'the filter', `is ${describeValue(filter)}, not an object`);
  const { type, messageType, errorContains } = filter;
  checkText(operation, 'type', type, true);
  checkText(operation, 'messageType', messageType, true);
  checkText(operation, 'errorContains', errorContains, true);
  const given = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  return { type: given(type), messageType: given(messageType), errorContains: given(errorContains) };
}
