import { Get, HttpCode, HttpStatus, Inject, Param, Post, Req } from '@nestjs/common';
import { ProcessNotFoundError } from '../errors/index.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import type { OperatorAudit, PendingTimer } from '../operations/operator-audit.js';
import type { PendingOutboxRow } from '../ports/operator-store.js';
import type { ProcessOverview } from '../operations/process-overview.js';
import { ProcessManagerService } from '../operations/process-manager.service.js';
import { isUuid } from '../ports/list-cursor.js';
import type { DeadLetter } from '../ports/records.js';
import { DashboardAccess, DashboardWrite } from './dashboard-access.js';
import { DashboardRequestError } from './dashboard.errors.js';
import {
  type DashboardHttpRequest,
  bodyText,
  bodyTime,
  DEAD_LETTER_FILTER,
  MAX_PAGE,
  parseDeadLetterFilter,
  parseDeadLetterQuery,
  parseId,
  parseLimit,
  parseListRequest,
  parseWriteBody,
} from './dashboard-request.js';
import {
  deadLetterView,
  type ProcessSummary,
  summaryOf,
  type TimelineEntry,
  timelineOf,
} from './dashboard-views.js';
import type { DashboardAction } from './dashboard.options.js';

/** DI token of the app's `ProcessManagerService`, checked at boot (see the module). */
export const DASHBOARD_PROCESSES = Symbol('process-manager:dashboard-processes');

export interface SessionView {
  readOnly: boolean;
  /** What this request's operator may do. */
  actions: Record<DashboardAction, boolean>;
  actor: string | null;
}

export interface ProcessDetailView {
  process: ProcessSummary & { state: object };
  history: TimelineEntry[];
  deadLetters: DeadLetter[];
  /** Pending timers, soonest first (none once the instance ended). */
  timers: PendingTimer[];
  /** Outbox rows not sent yet: waiting for the relay, or failed for good (`failedAt`). */
  outbox: PendingOutboxRow[];
}

/** The longest timer name or state name the dashboard takes. */
const MAX_NAME = 200;

/**
 * The dashboard's JSON API (`<path>/api/...`). Reads are GETs; every write is a POST with a JSON body,
 * checked by `readOnly` / `can()` (see `DashboardGuard`), and goes through `ProcessManagerService` with
 * the actor and reason for the audit trail. Mounted per `forRoot()` under its path (see the module).
 */
export class DashboardApiController {
  constructor(
    @Inject(DASHBOARD_PROCESSES) private readonly processes: ProcessManagerService,
    private readonly access: DashboardAccess,
  ) {}

  @Get('session')
  async session(@Req() request: DashboardHttpRequest): Promise<SessionView> {
    return {
      readOnly: this.access.readOnly,
      actions: await this.access.permissions(request),
      actor: this.access.actorOf(request) ?? null,
    };
  }

  @Get('overview')
  overview(): Promise<ProcessOverview> {
    return this.processes.overview();
  }

  /**
   * Newest first, without states (the store does not even read them). `key` searches by business key:
   * every instance with that correlation key or holding it as an associated value, in any status, and
   * the instance whose id it is.
   */
  @Get('processes')
  async list(
    @Req() request: DashboardHttpRequest,
  ): Promise<{ items: ProcessSummary[]; nextCursor?: string }> {
    const { key, ...query } = parseListRequest(request.query);
    const page = await this.processes.list({ ...query, correlationKey: key, state: false });
    const items = key === undefined ? page.items : await this.withAssociated(page.items, key, query);
    return { items: items.map((instance) => summaryOf(instance)), nextCursor: page.nextCursor };
  }

  @Get('processes/:id')
  async detail(@Param('id') id: string): Promise<ProcessDetailView> {
    const processId = parseId(id, 'The process id');
    const [instance, history, deadLetters, outbox] = await Promise.all([
      this.processes.get(processId),
      this.processes.history(processId),
      this.processes.deadLetters({ processId, limit: MAX_PAGE }),
      this.processes.pendingOutbox(processId),
    ]);
    if (!instance) throw new ProcessNotFoundError(processId);
    return {
      process: { ...summaryOf(instance, history), state: instance.state },
      history: timelineOf(history),
      deadLetters: deadLetters.map(deadLetterView),
      timers: await this.processes.timers(processId),
      outbox,
    };
  }

  @Get('types/:type/diagram')
  diagram(@Param('type') type: string): { type: string; mermaid: string } {
    return { type, mermaid: this.processes.diagram(type) };
  }

  /** Every open dead letter (stateless handlers' included), oldest first. */
  @Get('dead-letters')
  async deadLetters(@Req() request: DashboardHttpRequest): Promise<{ items: DeadLetter[] }> {
    const letters = await this.processes.deadLetters({ limit: parseLimit(request.query) });
    return { items: letters.map(deadLetterView) };
  }

  @Post('processes/:id/retry')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('retry')
  async retry(
    @Param('id') id: string,
    @Req() request: DashboardHttpRequest,
  ): Promise<{ process: ProcessSummary; deadLetters: number }> {
    const processId = parseId(id, 'The process id');
    await this.processes.retry(processId, this.audit(request));
    const [process, remaining] = await Promise.all([
      this.found(processId),
      this.processes.deadLetters({ processId, limit: MAX_PAGE }),
    ]);
    return { process: summaryOf(process), deadLetters: remaining.length };
  }

  @Post('processes/:id/cancel')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('cancel')
  async cancel(
    @Param('id') id: string,
    @Req() request: DashboardHttpRequest,
  ): Promise<{ process: ProcessSummary }> {
    const processId = parseId(id, 'The process id');
    const audit = this.audit(request);
    await this.processes.cancel(processId, audit.reason ?? 'Cancelled from the dashboard', {
      actor: audit.actor,
    });
    return { process: summaryOf(await this.found(processId)) };
  }

  @Post('processes/:id/acknowledge')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('acknowledge')
  async acknowledge(
    @Param('id') id: string,
    @Req() request: DashboardHttpRequest,
  ): Promise<{ process: ProcessSummary }> {
    const processId = parseId(id, 'The process id');
    await this.processes.acknowledgeFailure(processId, this.audit(request));
    return { process: summaryOf(await this.found(processId)) };
  }

  @Post('dead-letters/:id/retry')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('retry')
  async retryDeadLetter(
    @Param('id') id: string,
    @Req() request: DashboardHttpRequest,
  ): Promise<{ retried: number }> {
    await this.processes.retryDeadLetter(parseId(id, 'The dead letter id'), this.audit(request));
    return { retried: 1 };
  }

  /** How many open dead letters a bulk retry with this filter would re-run. */
  @Get('dead-letters/count')
  async countDeadLetters(@Req() request: DashboardHttpRequest): Promise<{ count: number }> {
    return { count: await this.processes.countDeadLetters(parseDeadLetterQuery(request.query)) };
  }

  @Post('dead-letters/retry')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('bulk-retry')
  async retryDeadLetters(@Req() request: DashboardHttpRequest): Promise<{ retried: number }> {
    const { reason, fields } = parseWriteBody(request, DEAD_LETTER_FILTER);
    const audit = { actor: this.access.actorOf(request), reason };
    return this.processes.retryDeadLetters(parseDeadLetterFilter(fields), audit);
  }

  @Post('processes/:id/timers/:name/reschedule')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('reschedule-timer')
  async rescheduleTimer(
    @Param('id') id: string,
    @Param('name') name: string,
    @Req() request: DashboardHttpRequest,
  ): Promise<{ timers: PendingTimer[] }> {
    const processId = parseId(id, 'The process id');
    const { reason, fields } = parseWriteBody(request, ['at']);
    const at = bodyTime(fields, 'at');
    await this.processes.rescheduleTimer(processId, timerName(name), at, this.auditOf(request, reason));
    return { timers: await this.processes.timers(processId) };
  }

  @Post('processes/:id/timers/:name/fire')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('fire-timer')
  async fireTimer(
    @Param('id') id: string,
    @Param('name') name: string,
    @Req() request: DashboardHttpRequest,
  ): Promise<{ process: ProcessSummary }> {
    const processId = parseId(id, 'The process id');
    await this.processes.fireTimer(processId, timerName(name), this.audit(request));
    return { process: summaryOf(await this.found(processId)) };
  }

  @Post('processes/:id/timers/:name/cancel')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('cancel-timer')
  async cancelTimer(
    @Param('id') id: string,
    @Param('name') name: string,
    @Req() request: DashboardHttpRequest,
  ): Promise<{ timers: PendingTimer[] }> {
    const processId = parseId(id, 'The process id');
    await this.processes.cancelTimer(processId, timerName(name), this.audit(request));
    return { timers: await this.processes.timers(processId) };
  }

  /** Body `{ state: {…}, reason }`: the reason is required (400 without). */
  @Post('processes/:id/state')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('edit-state')
  async editState(
    @Param('id') id: string,
    @Req() request: DashboardHttpRequest,
  ): Promise<{ process: ProcessSummary & { state: object } }> {
    const processId = parseId(id, 'The process id');
    const { reason, fields } = parseWriteBody(request, ['state']);
    const state = fields.state;
    if (typeof state !== 'object' || state === null || Array.isArray(state))
      throw new DashboardRequestError('state must be a JSON object.');
    await this.processes.editState(processId, state, this.auditOf(request, reason) as OperatorAudit);
    const instance = await this.found(processId);
    return { process: { ...summaryOf(instance), state: instance.state } };
  }

  /** Body `{ stateName, reason }`: the reason is required (400 without). */
  @Post('processes/:id/transition')
  @HttpCode(HttpStatus.OK)
  @DashboardWrite('force-transition')
  async forceTransition(
    @Param('id') id: string,
    @Req() request: DashboardHttpRequest,
  ): Promise<{ process: ProcessSummary }> {
    const processId = parseId(id, 'The process id');
    const { reason, fields } = parseWriteBody(request, ['stateName']);
    const stateName = bodyText(fields, 'stateName', MAX_NAME)!;
    await this.processes.forceTransition(
      processId,
      stateName,
      this.auditOf(request, reason) as OperatorAudit,
    );
    return { process: summaryOf(await this.found(processId)) };
  }

  private auditOf(request: DashboardHttpRequest, reason: string | undefined): Partial<OperatorAudit> {
    return { actor: this.access.actorOf(request), reason };
  }

  private audit(request: DashboardHttpRequest): Partial<OperatorAudit> {
    const { reason } = parseWriteBody(request);
    return { actor: this.access.actorOf(request), reason };
  }

  /**
   * `found` (the list searched the key as correlation key and associated value, in any status) plus the
   * instance whose id it is.
   */
  private async withAssociated(
    found: ProcessSummaryRow[],
    key: string,
    query: { type?: string; status?: string[] },
  ): Promise<ProcessSummaryRow[]> {
    const byId = isUuid(key) ? await this.processes.get(key.toLowerCase()) : null;
    if (!byId || found.some((instance) => instance.id === byId.id)) return found;
    if (query.type !== undefined && byId.type !== query.type) return found;
    if (query.status !== undefined && !query.status.includes(byId.status)) return found;
    return [...found, byId];
  }

  private async found(processId: string): Promise<ProcessInstance> {
    const instance = await this.processes.get(processId);
    if (!instance) throw new ProcessNotFoundError(processId);
    return instance;
  }
}

type ProcessSummaryRow = Omit<ProcessInstance, 'state'>;

/** A timer name in the path (URL-decoded by the platform). */
function timerName(name: string): string {
  if (name.length === 0 || name.length > MAX_NAME || /\p{Cc}/u.test(name))
    throw new DashboardRequestError(
      `The timer name must be 1 to ${MAX_NAME} characters without control characters.`,
    );
  return name;
}
