import { Get, HttpCode, HttpStatus, Inject, Param, Post, Req } from '@nestjs/common';
import { ProcessNotFoundError } from '../errors/index.js';
import type { ProcessInstance } from '../kernel/process-instance.js';
import type { OperatorAudit } from '../operations/operator-audit.js';
import type { ProcessOverview } from '../operations/process-overview.js';
import { ProcessManagerService } from '../operations/process-manager.service.js';
import { isUuid } from '../ports/list-cursor.js';
import type { DeadLetter } from '../ports/records.js';
import { DashboardAccess, DashboardWrite } from './dashboard-access.js';
import {
  type DashboardHttpRequest,
  MAX_PAGE,
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
}

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
   * every instance with that correlation key, the active one holding it as an associated value, and the
   * instance whose id it is.
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
    const [instance, history, deadLetters] = await Promise.all([
      this.processes.get(processId),
      this.processes.history(processId),
      this.processes.deadLetters({ processId, limit: MAX_PAGE }),
    ]);
    if (!instance) throw new ProcessNotFoundError(processId);
    return {
      process: { ...summaryOf(instance, history), state: instance.state },
      history: timelineOf(history),
      deadLetters: deadLetters.map(deadLetterView),
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

  private audit(request: DashboardHttpRequest): Partial<OperatorAudit> {
    const { reason } = parseWriteBody(request);
    return { actor: this.access.actorOf(request), reason };
  }

  /** `found` plus the active instances that hold `key` as an associated value, and the one whose id it is. */
  private async withAssociated(
    found: ProcessSummaryRow[],
    key: string,
    query: { type?: string; status?: string[] },
  ): Promise<ProcessSummaryRow[]> {
    const types =
      query.type !== undefined
        ? [query.type]
        : (await this.processes.overview()).types.map((overview) => overview.type);
    const more = await Promise.all([
      ...types.map((type) => this.processes.find(type, key)),
      isUuid(key) ? this.processes.get(key.toLowerCase()) : null,
    ]);
    const unique = new Map(found.map((instance) => [instance.id, instance]));
    for (const instance of more) {
      if (!instance || unique.has(instance.id)) continue;
      if (query.type !== undefined && instance.type !== query.type) continue;
      if (query.status !== undefined && !query.status.includes(instance.status)) continue;
      unique.set(instance.id, instance);
    }
    return [...unique.values()];
  }

  private async found(processId: string): Promise<ProcessInstance> {
    const instance = await this.processes.get(processId);
    if (!instance) throw new ProcessNotFoundError(processId);
    return instance;
  }
}

type ProcessSummaryRow = Omit<ProcessInstance, 'state'>;
