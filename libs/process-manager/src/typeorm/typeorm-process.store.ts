import { type BeforeApplicationShutdown, Logger, type OnModuleInit } from '@nestjs/common';
import type { Pool, QueryResult, QueryResultRow } from 'pg';
import { Brackets, type DataSource, type EntityManager } from 'typeorm';
import type { Decision } from '../engine/decision.js';
import type { ProcessStatus } from '../kernel/process-context.js';
import type { ProcessHistoryEntry, ProcessInstance } from '../kernel/process-instance.js';
import { ConcurrencyConflictError } from '../errors/index.js';
import { instanceKey } from '../runtime/instance-key.js';
import { decodeCursor, encodeCursor, isUuid, listLimit } from '../ports/list-cursor.js';
import type { FailureStore } from '../ports/failure-store.js';
import type { OutboxStore } from '../ports/outbox-store.js';
import type { ProcessControl } from '../ports/process-control.js';
import type { ProcessQueries } from '../ports/process-queries.js';
import type {
  ActiveCount,
  ClaimedOutboxRecord,
  ClaimScope,
  DeadLetterQuery,
  FailureRecord,
  ListQuery,
  Loaded,
  LoadQuery,
  OutboxRecord,
  Lease,
  TimerRecord,
  UnclaimableWork,
} from '../ports/records.js';
import type { StepStore } from '../ports/step-store.js';
import type { TimerStore } from '../ports/timer-store.js';
import { BATCH_REACTION, BATCH_STEP } from './batch-sql.js';
import { CommitBatcher } from './commit-batcher.js';
import { PendingDispatchMarks } from './dispatch-marks.js';
import { HistoryEntity } from './entities/history.entity.js';
import { ProcessEntity } from './entities/process.entity.js';
import {
  ACKNOWLEDGE_SQL,
  activePredicate,
  CANCEL_SQL,
  COUNT_ACTIVE_SQL,
  ENQUEUE_SQL,
  GET_MANY_SQL,
  HANDLED_SQL,
  INSERT_STEP,
  LOAD_BY_ID_SQL,
  LOAD_SQL,
  MARK_DISPATCH_FAILED_SQL,
  MARK_DISPATCHED_SQL,
  RACE_CONSTRAINTS,
  REACTION,
  RECORD_RETRY_SQL,
  type StepStatement,
  UPDATE_STEP,
  COUNT_LIVE_BY_STATE_SQL,
} from './process-sql.js';
import {
  type DeadLetterRow,
  fromDeadLetterRow,
  fromEntity,
  fromOutboxRow,
  fromJsonMetadata,
  fromProcessRow,
  fromTimerRow,
  type JsonMetadata,
  SUMMARY_COLUMNS,
  toOutboxJson,
  type OutboxRow,
  type ProcessRow,
  type TimerRow,
} from './row-mappers.js';
import {
  CLAIM_OUTBOX_SQL,
  CLEAR_LAST_ERROR_SQL,
  CLAIM_RETRIES_SQL,
  CLAIM_TIMERS_SQL,
  EXTEND_RETRY_LEASES_SQL,
  EXTEND_TIMER_LEASES_SQL,
  FIND_UNCLAIMABLE_SQL,
  fromUnclaimableRow,
  type UnclaimableRow,
  leaseParams,
  outboxParams,
  routeParams,
  DELETE_TIMER_SQL,
  FAILURE_ATTEMPTS_SQL,
  FIND_STALLED_SQL,
  LIST_DEAD_LETTERS_SQL,
  COUNT_DEAD_LETTERS_SQL,
  RECORD_FAILURE_SQL,
  RESEND_LAST_STEP_SQL,
  RESOLVE_FAILURE_SQL,
  SET_LAST_ERROR_SQL,
} from './scheduling-sql.js';
import { batchValues, type ReactionCommit, reactionBatchValues, stepValues } from './step-params.js';
import { guardPool } from './pool-guard.js';
import { checkSchema } from './schema-check.js';
import type { HealthFigures, HealthQueries } from '../ports/health-queries.js';
import type { RetentionStore } from '../ports/retention-store.js';
import { HEALTH_FIGURES_SQL, type HealthFiguresRow } from './health-sql.js';
import type { TelemetryFigures } from '../ports/telemetry-queries.js';
import { PENDING_OUTBOX_COUNT_SQL } from './telemetry-sql.js';
import {
  DELETE_DISPATCHED_OUTBOX_SQL,
  DELETE_FINISHED_PROCESSES_SQL,
  DELETE_INBOX_MARKS_SQL,
  DELETE_RESOLVED_DEAD_LETTERS_SQL,
} from './retention-sql.js';
import type {
  DeadLetterFilter,
  OperatorStore,
  PendingOutboxRow,
  StatePatch,
} from '../ports/operator-store.js';
import {
  CANCEL_TIMER_SQL,
  CLAIM_TIMER_NOW_SQL,
  COUNT_MATCHING_DEAD_LETTERS_SQL,
  MATCHING_DEAD_LETTERS_SQL,
  PENDING_OUTBOX_SQL,
  PENDING_TIMERS_SQL,
  REPAIR_STATE_SQL,
  RESCHEDULE_TIMER_SQL,
} from './operator-sql.js';

/** PostgreSQL through the app's TypeORM DataSource: raw SQL on its pool for the hot path, TypeORM for queries. */
export class TypeOrmProcessStore
  implements
    StepStore,
    OutboxStore,
    TimerStore,
    FailureStore,
    ProcessQueries,
    ProcessControl,
    RetentionStore,
    HealthQueries,
    OperatorStore,
    OnModuleInit,
    BeforeApplicationShutdown
{
  private readonly logger = new Logger(TypeOrmProcessStore.name);
  private dataSource!: DataSource;
  private pool!: Pool;

  /** Group commit of steps and of stateless reactions, each their own batch statement (when batching is on). */
  private readonly steps: CommitBatcher<Decision, void> | undefined;
  private readonly reactions: CommitBatcher<ReactionCommit, boolean> | undefined;
  private readonly dispatchMarks = new PendingDispatchMarks((ids, at) => this.writeDispatchMarks(ids, at));

  /**
   * @param batching `maxConcurrent` is internal (not a module option): the batchers' threshold, 0 to send
   *   every commit through a batch statement (see `CommitBatcher`).
   */
  constructor(
    private readonly resolveDataSource: () => DataSource,
    batching: { enabled: boolean; maxSize: number; maxConcurrent?: number } = { enabled: false, maxSize: 1 },
  ) {
    const { enabled, maxSize, maxConcurrent } = batching;
    this.steps = enabled
      ? new CommitBatcher(
          {
            one: (decision) => this.commitStep(decision),
            many: (decisions) => this.commitSteps(decisions),
            keys: ({ instance }) => [instance.id, instanceKey(instance.type, instance.correlationKey)],
          },
          maxSize,
          maxConcurrent,
        )
      : undefined;
    this.reactions = enabled
      ? new CommitBatcher(
          {
            one: (reaction) => this.commitOneReaction(reaction),
            many: (reactions) => this.commitReactions(reactions),
            keys: ({ handler, messageId }) => [`${handler}\u0000${messageId}`],
          },
          maxSize,
          maxConcurrent,
        )
      : undefined;
  }

  /** Runs after every provider exists, so after `TypeOrmModule` initialised the DataSource (and migrated it). */
  async onModuleInit(): Promise<void> {
    this.dataSource = this.resolveDataSource();
    const driver = this.dataSource.driver as unknown as { master: Pool; slaves?: Pool[] };
    this.pool = driver.master;
    for (const pool of [driver.master, ...(driver.slaves ?? [])]) guardPool(pool, this.logger);
    await checkSchema(this.dataSource);
  }

  /** Before TypeORM closes the pool: write the marks still waiting for a step, and no longer wait. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.dispatchMarks.stopLingering();
  }

  async load(query: LoadQuery): Promise<Loaded> {
    const { rows } = await this.pool.query<ProcessRow & { handled: boolean }>(
      query.processId !== undefined
        ? {
            name: 'pm_load_by_id',
            text: LOAD_BY_ID_SQL,
            values: [query.type, query.processId, query.messageId],
          }
        : {
            name: 'pm_load',
            text: LOAD_SQL,
            values: [query.type, query.correlationKey, query.messageId, query.associationKey ?? null],
          },
    );
    const row = rows[0]!;
    return { instance: row.id ? fromProcessRow(row) : null, handled: row.handled };
  }

  async commit(decision: Decision): Promise<void> {
    return this.steps ? this.steps.commit(decision) : this.commitStep(decision);
  }

  /** One decision in one statement. */
  private async commitStep(decision: Decision): Promise<void> {
    try {
      const { rows } = await this.carryingMarks<{ committed: number }>(
        decision.isNew ? INSERT_STEP : UPDATE_STEP,
        stepValues(decision),
      );
      if (rows[0]!.committed !== 1) throw new ConcurrencyConflictError(decision.instance.id);
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (code === '23505' && constraint && RACE_CONSTRAINTS.has(constraint)) {
        throw new ConcurrencyConflictError(decision.instance.id);
      }
      throw error;
    }
  }

  /** Several instances' decisions in one statement; a decision not written lost a race. */
  private async commitSteps(decisions: Decision[]): Promise<(void | Error)[]> {
    const { rows } = await this.carryingMarks<{ id: string }>(BATCH_STEP, batchValues(decisions));
    const written = new Set(rows.map((row) => row.id));
    return decisions.map(({ instance }) =>
      written.has(instance.id) ? undefined : new ConcurrencyConflictError(instance.id),
    );
  }

  /** Runs a step statement, in its marking form when dispatched marks wait for a ride. */
  private async carryingMarks<R extends QueryResultRow>(
    statement: StepStatement,
    values: unknown[],
  ): Promise<QueryResult<R>> {
    const marks = this.dispatchMarks.carry();
    const marking = marks.ids.length > 0;
    try {
      const result = await this.pool.query<R>({
        name: marking ? `${statement.name}_marking` : statement.name,
        text: marking ? statement.marking : statement.plain,
        values: marking ? [...values, marks.at, JSON.stringify(marks.ids)] : values,
      });
      marks.written();
      return result;
    } catch (error) {
      marks.returned();
      throw error;
    }
  }

  async enqueue(records: OutboxRecord[], at: Date, transaction?: EntityManager): Promise<void> {
    if (records.length === 0) return;
    const values = [JSON.stringify(records.map(toOutboxJson)), at];
    if (transaction) await transaction.query(ENQUEUE_SQL, values);
    else await this.pool.query(ENQUEUE_SQL, values);
  }

  commitReaction(handler: string, messageId: string, records: OutboxRecord[], at: Date): Promise<boolean> {
    const reaction = { handler, messageId, records, at };
    return this.reactions ? this.reactions.commit(reaction) : this.commitOneReaction(reaction);
  }

  private async commitOneReaction({ handler, messageId, records, at }: ReactionCommit): Promise<boolean> {
    const values = [handler, messageId, at, JSON.stringify(records.map(toOutboxJson))];
    const { rows } = await this.carryingMarks<{ committed: number }>(REACTION, values);
    return rows[0]!.committed === 1;
  }

  /** Several reactions in one statement: false for each duplicate. */
  private async commitReactions(reactions: ReactionCommit[]): Promise<boolean[]> {
    const { rows } = await this.carryingMarks<{ n: number }>(BATCH_REACTION, reactionBatchValues(reactions));
    const fresh = new Set(rows.map((row) => row.n));
    return reactions.map((_, index) => fresh.has(index + 1));
  }

  async hasHandled(handler: string, messageId: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ handled: boolean }>(HANDLED_SQL, [handler, messageId]);
    return rows[0]!.handled;
  }

  /** The DataSource the store writes through (the `Outbox` hooks its transaction events). */
  get dataSourceInUse(): DataSource {
    return this.dataSource;
  }

  /** Resolves once written: with the next step statement when one comes soon, else on its own. */
  async markDispatched(messageIds: string[], at: Date): Promise<void> {
    if (messageIds.length > 0) await this.dispatchMarks.add(messageIds, at);
  }

  private async writeDispatchMarks(messageIds: string[], at: Date): Promise<void> {
    await this.pool.query({
      name: 'pm_mark_dispatched',
      text: MARK_DISPATCHED_SQL,
      values: [JSON.stringify(messageIds), at],
    });
  }

  async markDispatchFailed(messageId: string, error: string, retryAt: Date | null, now: Date): Promise<void> {
    await this.pool.query(MARK_DISPATCH_FAILED_SQL, [messageId, error, retryAt, now]);
  }

  async claimOutbox(
    now: Date,
    leaseUntil: Date,
    limit: number,
    scope?: ClaimScope,
  ): Promise<ClaimedOutboxRecord[]> {
    const params = [now, leaseUntil, limit, ...outboxParams(scope)];
    const { rows } = await this.pool.query<OutboxRow>(CLAIM_OUTBOX_SQL, params);
    return rows.map(fromOutboxRow);
  }

  async claimDueTimers(
    now: Date,
    leaseUntil: Date,
    limit: number,
    scope?: ClaimScope,
  ): Promise<TimerRecord[]> {
    const params = [now, leaseUntil, limit, ...routeParams(scope)];
    const { rows } = await this.pool.query<TimerRow>(CLAIM_TIMERS_SQL, params);
    return rows.map(fromTimerRow);
  }

  async extendTimerLeases(held: readonly Lease[], leaseUntil: Date): Promise<void> {
    if (held.length > 0) await this.pool.query(EXTEND_TIMER_LEASES_SQL, leaseParams(held, leaseUntil));
  }

  async deleteTimer(timerId: string): Promise<void> {
    await this.pool.query(DELETE_TIMER_SQL, [timerId]);
  }

  async failureAttempts(handler: string, messageId: string): Promise<number> {
    const { rows } = await this.pool.query<{ attempts: number }>(FAILURE_ATTEMPTS_SQL, [handler, messageId]);
    return rows[0]?.attempts ?? 0;
  }

  async recordFailure(failure: FailureRecord): Promise<void> {
    await this.pool.query(RECORD_FAILURE_SQL, [
      failure.id,
      failure.handler,
      failure.processId ?? null,
      failure.correlationKey ?? null,
      failure.messageType,
      failure.messageId,
      JSON.stringify(failure.payload),
      JSON.stringify(failure.metadata),
      failure.status,
      failure.attempts,
      failure.error,
      failure.stack ?? null,
      failure.lastFailedAt,
      failure.nextAttemptAt ?? null,
    ]);
  }

  async resolveFailure(handler: string, messageId: string, at: Date): Promise<void> {
    await this.pool.query(RESOLVE_FAILURE_SQL, [handler, messageId, at]);
  }

  async claimDueRetries(
    now: Date,
    leaseUntil: Date,
    limit: number,
    scope?: ClaimScope,
  ): Promise<FailureRecord[]> {
    const params = [now, leaseUntil, limit, ...routeParams(scope)];
    const { rows } = await this.pool.query<DeadLetterRow>(CLAIM_RETRIES_SQL, params);
    return rows.map(fromDeadLetterRow);
  }

  async extendRetryLeases(held: readonly Lease[], leaseUntil: Date): Promise<void> {
    if (held.length > 0) await this.pool.query(EXTEND_RETRY_LEASES_SQL, leaseParams(held, leaseUntil));
  }

  async deadLetters(query: DeadLetterQuery): Promise<FailureRecord[]> {
    if ([query.processId, query.id].some((id) => id !== undefined && !isUuid(id))) return [];
    const { rows } = await this.pool.query<DeadLetterRow>(LIST_DEAD_LETTERS_SQL, [
      query.processId ?? null,
      listLimit(query.limit),
      query.id ?? null,
      query.after?.firstFailedAt ?? null,
      query.after?.id ?? null,
    ]);
    return rows.map(fromDeadLetterRow);
  }

  async countDeadLetters(): Promise<{ handler: string; count: number }[]> {
    const { rows } = await this.pool.query<{ handler: string; count: number }>(COUNT_DEAD_LETTERS_SQL);
    return rows;
  }

  async clearLastError(processId: string, error: string): Promise<void> {
    await this.pool.query(CLEAR_LAST_ERROR_SQL, [processId, error]);
  }

  async setLastError(processId: string, error: string): Promise<void> {
    await this.pool.query(SET_LAST_ERROR_SQL, [processId, error]);
  }

  async findStalled(
    idleSince: Date,
    overdueSince: Date,
    limit: number,
    types?: readonly string[],
  ): Promise<ProcessInstance[]> {
    const params = [idleSince, limit, overdueSince, types ?? null];
    const { rows } = await this.pool.query<ProcessRow>(FIND_STALLED_SQL, params);
    return rows.map(fromProcessRow);
  }

  async findUnclaimable(overdueSince: Date, scope: ClaimScope, limit: number): Promise<UnclaimableWork[]> {
    const params = [overdueSince, ...routeParams(scope), scope.processTypes, scope.messageTypes, limit];
    const { rows } = await this.pool.query<UnclaimableRow>(FIND_UNCLAIMABLE_SQL, params);
    return rows.map(fromUnclaimableRow);
  }

  async resendLastStep(processId: string, now: Date): Promise<number> {
    if (!isUuid(processId)) return 0;
    const { rowCount } = await this.pool.query(RESEND_LAST_STEP_SQL, [processId, now]);
    return rowCount ?? 0;
  }

  async get(processId: string): Promise<ProcessInstance | null> {
    if (!isUuid(processId)) return null;
    const entity = await this.processes().findOneBy({ id: processId });
    return entity ? fromEntity(entity) : null;
  }

  async getMany(processIds: readonly string[]): Promise<ProcessInstance[]> {
    const ids = processIds.filter(isUuid);
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<ProcessRow>({
      name: 'pm_get_many',
      text: GET_MANY_SQL,
      values: [ids],
    });
    return rows.map(fromProcessRow);
  }

  async find(type: string, correlationKey: string): Promise<ProcessInstance | null> {
    const entity = await this.processes()
      .createQueryBuilder('p')
      .where('p.type = :type AND p.correlation_key = :correlationKey', { type, correlationKey })
      .andWhere(activePredicate('p'))
      .getOne();
    return entity ? fromEntity(entity) : null;
  }

  async list(query: ListQuery): Promise<{ items: ProcessInstance[]; nextCursor?: string }> {
    const limit = listLimit(query.limit);
    const builder = this.processes()
      .createQueryBuilder('p')
      .orderBy('p.started_at', 'DESC')
      .addOrderBy('p.id', 'DESC')
      .take(limit + 1);
    if (query.type !== undefined) builder.andWhere('p.type = :type', { type: query.type });
    if (query.status !== undefined)
      builder.andWhere('p.status IN (:...statuses)', { statuses: [query.status].flat() });
    const { stateName, correlationKey, updatedBefore } = query;
    if (stateName !== undefined) builder.andWhere('p.state_name = :stateName', { stateName });
    if (correlationKey !== undefined)
      builder.andWhere(
        'p.id IN (SELECT k.id FROM pm_process k WHERE k.correlation_key = :correlationKey UNION SELECT a.process_id FROM pm_association a WHERE a.value = :correlationKey)',
        { correlationKey },
      );
    if (updatedBefore !== undefined) builder.andWhere('p.updated_at < :updatedBefore', { updatedBefore });
    if (query.state === false) builder.select(SUMMARY_COLUMNS.map((column) => `p.${column}`));
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      builder.andWhere(
        new Brackets((where) =>
          where
            .where('p.started_at < :startedAt', { startedAt: after.startedAt })
            .orWhere('p.started_at = :startedAt AND p.id < :id', { id: after.id }),
        ),
      );
    }
    const entities = await builder.getMany();
    const items = entities.slice(0, limit).map(fromEntity);
    const last = items.at(-1);
    return entities.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  async history(processId: string): Promise<ProcessHistoryEntry[]> {
    if (!isUuid(processId)) return [];
    const entries = await this.dataSource
      .getRepository(HistoryEntity)
      .find({ where: { processId }, order: { seq: 'ASC' } });
    return entries.map((entry) => ({
      seq: entry.seq,
      processId: entry.processId,
      messageType: entry.messageType,
      messageId: entry.messageId,
      outcome: entry.outcome as ProcessHistoryEntry['outcome'],
      fromState: entry.fromState ?? undefined,
      toState: entry.toState ?? undefined,
      status: entry.status as ProcessStatus,
      commands: entry.commands as ProcessHistoryEntry['commands'],
      at: entry.at,
      error: entry.error ?? undefined,
      note: entry.note ?? undefined,
      input:
        entry.inputMetadata === null
          ? undefined
          : { payload: entry.inputPayload, metadata: fromJsonMetadata(entry.inputMetadata as JsonMetadata) },
      state: entry.state ?? undefined,
      stateVersion: entry.stateVersion ?? undefined,
    }));
  }

  async countLiveByState(): Promise<{ type: string; stateName: string; count: number }[]> {
    const { rows } = await this.pool.query<{ type: string; state_name: string; count: number }>(
      COUNT_LIVE_BY_STATE_SQL,
    );
    return rows.map((row) => ({ type: row.type, stateName: row.state_name, count: row.count }));
  }

  async countActive(): Promise<ActiveCount[]> {
    const { rows } = await this.pool.query<ActiveCount>(COUNT_ACTIVE_SQL);
    return rows;
  }

  async acknowledgeFailure(processId: string, at: Date, note?: string): Promise<boolean> {
    if (!isUuid(processId)) return false;
    const { rows } = await this.pool.query<{ changed: number }>(ACKNOWLEDGE_SQL, [
      processId,
      at,
      note ?? null,
    ]);
    return rows[0]!.changed === 1;
  }

  async recordRetry(processId: string, note: string, at: Date): Promise<boolean> {
    if (!isUuid(processId)) return false;
    const { rows } = await this.pool.query<{ changed: number }>(RECORD_RETRY_SQL, [processId, at, note]);
    return rows[0]!.changed === 1;
  }

  async cancel(processId: string, reason: string | undefined, at: Date): Promise<boolean> {
    if (!isUuid(processId)) return false;
    const { rows } = await this.pool.query<{ changed: number }>(CANCEL_SQL, [processId, at, reason ?? null]);
    return rows[0]!.changed === 1;
  }

  deleteInboxMarks(before: Date, limit: number): Promise<number> {
    return this.deleteRows(DELETE_INBOX_MARKS_SQL, before, limit);
  }

  deleteDispatchedOutbox(before: Date, limit: number): Promise<number> {
    return this.deleteRows(DELETE_DISPATCHED_OUTBOX_SQL, before, limit);
  }

  deleteResolvedDeadLetters(before: Date, limit: number): Promise<number> {
    return this.deleteRows(DELETE_RESOLVED_DEAD_LETTERS_SQL, before, limit);
  }

  deleteFinishedProcesses(before: Date, limit: number): Promise<number> {
    return this.deleteRows(DELETE_FINISHED_PROCESSES_SQL, before, limit);
  }

  private async deleteRows(sql: string, before: Date, limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(sql, [before, limit]);
    return rowCount ?? 0;
  }

  async telemetryFigures(now: Date): Promise<TelemetryFigures> {
    const [health, pending, instances] = await Promise.all([
      this.healthFigures(now),
      this.pool.query<{ count: number }>(PENDING_OUTBOX_COUNT_SQL),
      this.countActive(),
    ]);
    return { ...health, pendingOutbox: pending.rows[0]!.count, instances };
  }

  async healthFigures(now: Date, scope?: ClaimScope): Promise<HealthFigures> {
    const params = [now, ...outboxParams(scope), ...routeParams(scope)];
    const { rows } = await this.pool.query<HealthFiguresRow>(HEALTH_FIGURES_SQL, params);
    const row = rows[0]!;
    return {
      oldestPendingOutboxAt: row.oldest_pending_outbox_at ?? undefined,
      oldestDueTimerAt: row.oldest_due_timer_at ?? undefined,
      openDeadLetters: row.open_dead_letters,
    };
  }

  async pendingTimers(processId: string): Promise<TimerRecord[]> {
    if (!isUuid(processId)) return [];
    const { rows } = await this.pool.query<TimerRow>(PENDING_TIMERS_SQL, [processId]);
    return rows.map(fromTimerRow);
  }

  async rescheduleTimer(
    processId: string,
    name: string,
    dueAt: Date,
    note: string,
    at: Date,
  ): Promise<boolean> {
    return this.changed(RESCHEDULE_TIMER_SQL, processId, [name, note, at, dueAt]);
  }

  async cancelTimer(processId: string, name: string, note: string, at: Date): Promise<boolean> {
    return this.changed(CANCEL_TIMER_SQL, processId, [name, note, at]);
  }

  async claimTimerNow(
    processId: string,
    name: string,
    leaseUntil: Date,
    note: string,
    at: Date,
  ): Promise<TimerRecord | undefined> {
    if (!isUuid(processId)) return undefined;
    const params = [processId, name, note, at, leaseUntil];
    const { rows } = await this.pool.query<TimerRow>(CLAIM_TIMER_NOW_SQL, params);
    return rows[0] && fromTimerRow(rows[0]);
  }

  async repairState(
    processId: string,
    expectedVersion: number,
    patch: StatePatch,
    note: string,
    at: Date,
  ): Promise<boolean> {
    const state = patch.state === undefined ? null : JSON.stringify(patch.state);
    const params = [expectedVersion, state, patch.stateName ?? null, note, at];
    return this.changed(REPAIR_STATE_SQL, processId, params);
  }

  async pendingOutbox(processId: string): Promise<PendingOutboxRow[]> {
    if (!isUuid(processId)) return [];
    const { rows } = await this.pool.query<PendingOutboxDbRow>(PENDING_OUTBOX_SQL, [processId]);
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      type: row.type,
      payload: row.payload,
      createdAt: row.created_at,
      attempts: row.attempts,
      ...(row.last_error !== null && { lastError: row.last_error }),
      ...(row.failed_at !== null && { failedAt: row.failed_at }),
    }));
  }

  async matchingDeadLetters(
    filter: DeadLetterFilter,
    limit: number,
    after?: { firstFailedAt: Date; id: string },
  ): Promise<FailureRecord[]> {
    const params = [...filterParams(filter), after?.firstFailedAt ?? null, after?.id ?? null, limit];
    const { rows } = await this.pool.query<DeadLetterRow>(MATCHING_DEAD_LETTERS_SQL, params);
    return rows.map(fromDeadLetterRow);
  }

  async countMatchingDeadLetters(filter: DeadLetterFilter): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>(
      COUNT_MATCHING_DEAD_LETTERS_SQL,
      filterParams(filter),
    );
    return rows[0]!.count;
  }

  private async changed(sql: string, processId: string, params: unknown[]): Promise<boolean> {
    if (!isUuid(processId)) return false;
    const { rows } = await this.pool.query<{ changed: number }>(sql, [processId, ...params]);
    return rows[0]!.changed === 1;
  }

  private processes() {
    return this.dataSource.getRepository(ProcessEntity);
  }
}

type PendingOutboxDbRow = {
  id: string;
  kind: PendingOutboxRow['kind'];
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
  attempts: number;
  last_error: string | null;
  failed_at: Date | null;
};

function filterParams(filter: DeadLetterFilter): (string | null)[] {
  return [filter.type ?? null, filter.messageType ?? null, filter.errorContains ?? null];
}
