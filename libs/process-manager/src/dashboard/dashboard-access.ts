import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  type OnModuleInit,
  SetMetadata,
  type Type,
} from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { DashboardAccessDeniedError, DashboardActionForbiddenError } from './dashboard.errors.js';
import {
  DASHBOARD_ACTIONS,
  DASHBOARD_OPTIONS,
  type DashboardAction,
  type ResolvedDashboardOptions,
} from './dashboard.options.js';

const DASHBOARD_ACTION_METADATA = 'process-manager:dashboard-action';
const DASHBOARD_ROUTE_METADATA = 'process-manager:dashboard-route';

/** Marks a dashboard API route as a write: `readOnly` and `can(action)` decide whether it runs. */
export const DashboardWrite = (action: DashboardAction) => SetMetadata(DASHBOARD_ACTION_METADATA, action);

/** Marks a dashboard controller as serving the UI's static files or its JSON API. */
export const DashboardRoute = (kind: 'shell' | 'api') => SetMetadata(DASHBOARD_ROUTE_METADATA, kind);

/**
 * True when the request is for one of the dashboard UI's static files (HTML, CSS, JavaScript), which
 * hold no process data. A browser loads these without custom headers, so a guard that checks an
 * `Authorization: Bearer` header lets them through and guards the JSON API, which the UI calls with
 * the header. Guards that read a session cookie need no exception.
 */
export function isDashboardShell(context: ExecutionContext): boolean {
  return Reflect.getMetadata(DASHBOARD_ROUTE_METADATA, context.getClass()) === 'shell';
}

/** The app's guards, resolved once at boot, and the per-action rules of the options. */
@Injectable()
export class DashboardAccess implements OnModuleInit {
  private guards: { name: string; guard: CanActivate }[] = [];

  constructor(
    @Inject(DASHBOARD_OPTIONS) private readonly options: ResolvedDashboardOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    this.guards = [];
    for (const type of this.options.guards)
      this.guards.push({ name: type.name, guard: await this.resolve(type) });
  }

  /** Runs the app's guards in order; a guard may also throw its own exception (e.g. 401). */
  async admit(context: ExecutionContext): Promise<void> {
    for (const { name, guard } of this.guards) {
      const verdict = guard.canActivate(context);
      const allowed = isObservable(verdict) ? await lastValueFrom(verdict) : await verdict;
      if (!allowed) throw new DashboardAccessDeniedError(name);
    }
  }

  /** Throws `DashboardActionForbiddenError` unless the options allow `action` for this request. */
  async authorize(action: DashboardAction, request: unknown): Promise<void> {
    if (this.options.readOnly) throw new DashboardActionForbiddenError(action, 'readOnly');
    if (!(await this.options.can(action, request))) throw new DashboardActionForbiddenError(action, 'can');
  }

  /** What this request may do, for the UI to enable only those controls. */
  async permissions(request: unknown): Promise<Record<DashboardAction, boolean>> {
    const entries = await Promise.all(
      DASHBOARD_ACTIONS.map(async (action) => {
        const allowed = !this.options.readOnly && (await this.options.can(action, request));
        return [action, allowed === true] as const;
      }),
    );
    return Object.fromEntries(entries) as Record<DashboardAction, boolean>;
  }

  /** Who acts, for the audit trail: the `actor()` option's answer, if it is a usable name. */
  actorOf(request: unknown): string | undefined {
    const actor = this.options.actor(request);
    if (typeof actor !== 'string') return undefined;
    // Control characters (NUL above all) could not be stored; names are short.
    const clean = actor
      .replace(/\p{Cc}/gu, '')
      .trim()
      .slice(0, 200);
    return clean === '' ? undefined : clean;
  }

  get readOnly(): boolean {
    return this.options.readOnly;
  }

  /** The app's own instance when the guard is a provider somewhere; else one made as `@UseGuards()` would. */
  private async resolve(type: Type<CanActivate>): Promise<CanActivate> {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      return this.moduleRef.create(type);
    }
  }
}

/** The one guard on every dashboard route: the app's guards first, then `readOnly` / `can()` for writes. */
@Injectable()
export class DashboardGuard implements CanActivate {
  constructor(
    private readonly access: DashboardAccess,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.access.admit(context);
    const action = this.reflector.get<DashboardAction | undefined>(
      DASHBOARD_ACTION_METADATA,
      context.getHandler(),
    );
    if (action) await this.access.authorize(action, context.switchToHttp().getRequest());
    return true;
  }
}
