import type { OnModuleInit } from '@nestjs/common';
import type { Pool } from 'pg';
import { Brackets, type DataSource } from 'typeorm';
import type { Decision } from '../../engine/decision.js';
import type { ProcessStatus } from '../../engine/process-context.js';
import type { ProcessHistoryEntry, ProcessInstance } from '../../engine/process-instance.js';
import { ConcurrencyConflictError } from '../../errors/index.js';
import { decodeCursor, encodeCursor, listLimit } from '../list-cursor.js';
import {
  type ListQuery,
  type Loaded,
  type LoadQuery,
  type OutboxRecord,
  ProcessStore,
} from '../process.store.js';
import { HistoryEntity } from './entities/history.entity.js';
import { ProcessEntity } from './entities/process.entity.js';
import {
  ACKNOWLEDGE_SQL,
  ACTIVE_PREDICATE,
  CANCEL_SQL,
  ENQUEUE_SQL,
  INSERT_STEP_SQL,
  LOAD_SQL,
  MARK_DISPATCH_FAILED_SQL,
  MARK_DISPATCHED_SQL,
  RACE_CONSTRAINTS,
  UPDATE_STEP_SQL,
} from './process-sql.js';

type ProcessRow = {
  id: string;
  type: string;
  correlation_key: string;
  status: ProcessStatus;
  state_name: string | null;
  state: object;
  version: number;
  started_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  acknowledged_at: Date | null;
  last_error: string | null;
};

/** PostgreSQL through the app's TypeORM DataSource: raw SQL on its pool for the hot path, TypeORM for queries. */
export class TypeOrmProcessStore extends ProcessStore implements OnModuleInit {
  private dataSource!: DataSource;
  private pool!: Pool;

  constructor(private readonly resolveDataSource: () => DataSource) {
    super();
  }

  onModuleInit(): void {
    this.dataSource = this.resolveDataSource();
    this.pool = (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  async load(query: LoadQuery): Promise<Loaded> {
    const { rows } = await this.pool.query<ProcessRow & { handled: boolean }>({
      name: 'pm_load',
      text: LOAD_SQL,
      values: [query.type, query.correlationKey, query.messageId, query.associationKey ?? null],
    });
    const row = rows[0]!;
    return { instance: row.id ? fromRow(row) : null, handled: row.handled };
  }

  async commit(decision: Decision): Promise<void> {
    const { instance, history, timers } = decision;
    const values = [
      instance.id,
      instance.type,
      instance.correlationKey,
      instance.status,
      instance.stateName ?? null,
      JSON.stringify(instance.state),
      instance.version,
      instance.startedAt,
      instance.updatedAt,
      instance.completedAt ?? null,
      instance.lastError ?? null,
      decision.expectedVersion,
      decision.inbox.messageId,
      history.messageType,
      history.outcome,
      history.fromState ?? null,
      JSON.stringify(history.commands),
      history.error ?? null,
      history.note ?? null,
      JSON.stringify(
        decision.outgoing.map(({ kind, type, payload, metadata }) => ({
          id: metadata.messageId,
          kind,
          type,
          payload,
          metadata,
        })),
      ),
      JSON.stringify(decision.associations),
      timers.cancelAll,
      timers.cancelled,
      JSON.stringify(
        timers.scheduled.map((t) => ({
          id: t.id,
          name: t.name ?? null,
          due_at: t.dueAt,
          message_type: t.messageType,
          payload: t.payload,
        })),
      ),
    ];
    try {
      const { rows } = await this.pool.query<{ committed: number }>({
        name: decision.isNew ? 'pm_insert_step' : 'pm_update_step',
        text: decision.isNew ? INSERT_STEP_SQL : UPDATE_STEP_SQL,
        values,
      });
      if (rows[0]!.committed !== 1) throw new ConcurrencyConflictError(instance.id);
    } catch (error) {
      const { code, constraint } = error as { code?: string; constraint?: string };
      if (code === '23505' && constraint && RACE_CONSTRAINTS.has(constraint)) {
        throw new ConcurrencyConflictError(instance.id);
      }
      throw error;
    }
  }

  async enqueue(records: OutboxRecord[]): Promise<void> {
    if (records.length === 0) return;
    const rows = records.map((r) => ({
      id: r.metadata.messageId,
      process_id: r.processId,
      kind: r.kind,
      type: r.type,
      payload: r.payload,
      metadata: r.metadata,
    }));
    await this.pool.query(ENQUEUE_SQL, [JSON.stringify(rows), new Date()]);
  }

  async markDispatched(messageIds: string[], at: Date): Promise<void> {
    if (messageIds.length > 0)
      await this.pool.query({
        name: 'pm_mark_dispatched',
        text: MARK_DISPATCHED_SQL,
        values: [messageIds, at],
      });
  }

  async markDispatchFailed(messageId: string, error: string): Promise<void> {
    await this.pool.query(MARK_DISPATCH_FAILED_SQL, [messageId, error]);
  }

  async get(processId: string): Promise<ProcessInstance | null> {
    const entity = await this.processes().findOneBy({ id: processId });
    return entity ? fromEntity(entity) : null;
  }

  async find(type: string, correlationKey: string): Promise<ProcessInstance | null> {
    const entity = await this.processes()
      .createQueryBuilder('p')
      .where('p.type = :type AND p.correlation_key = :correlationKey', { type, correlationKey })
      .andWhere(
        ACTIVE_PREDICATE.replaceAll('status', 'p.status').replaceAll('acknowledged_at', 'p.acknowledged_at'),
      )
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
    }));
  }

  async acknowledgeFailure(processId: string, at: Date): Promise<boolean> {
    const { rows } = await this.pool.query<{ changed: number }>(ACKNOWLEDGE_SQL, [processId, at, null]);
    return rows[0]!.changed === 1;
  }

  async cancel(processId: string, reason: string | undefined, at: Date): Promise<boolean> {
    const { rows } = await this.pool.query<{ changed: number }>(CANCEL_SQL, [processId, at, reason ?? null]);
    return rows[0]!.changed === 1;
  }

  private processes() {
    return this.dataSource.getRepository(ProcessEntity);
  }
}

function fromRow(row: ProcessRow): ProcessInstance {
  return fromEntity({
    id: row.id,
    type: row.type,
    correlationKey: row.correlation_key,
    status: row.status,
    stateName: row.state_name,
    state: row.state,
    version: row.version,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    acknowledgedAt: row.acknowledged_at,
    lastError: row.last_error,
  });
}

function fromEntity(entity: ProcessEntity): ProcessInstance {
  return {
    id: entity.id,
    type: entity.type,
    correlationKey: entity.correlationKey,
    status: entity.status as ProcessStatus,
    stateName: entity.stateName ?? undefined,
    state: entity.state,
    version: entity.version,
    startedAt: entity.startedAt,
    updatedAt: entity.updatedAt,
    completedAt: entity.completedAt ?? undefined,
    acknowledgedAt: entity.acknowledgedAt ?? undefined,
    lastError: entity.lastError ?? undefined,
  };
}
