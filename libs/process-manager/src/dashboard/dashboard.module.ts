import {
  Controller,
  type DynamicModule,
  Module,
  type Type,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ProcessManagerService } from '../operations/process-manager.service.js';
import { DASHBOARD_PROCESSES, DashboardApiController } from './dashboard-api.controller.js';
import { DashboardAccess, DashboardGuard, DashboardRoute } from './dashboard-access.js';
import { DashboardExceptionFilter } from './dashboard-exception.filter.js';
import { DashboardHeadersInterceptor } from './dashboard-headers.interceptor.js';
import { DashboardUiController } from './dashboard-ui.controller.js';
import { DashboardWithoutProcessManagerError, InvalidDashboardOptionError } from './dashboard.errors.js';
import {
  DASHBOARD_OPTIONS,
  DEFAULT_DASHBOARD_PATH,
  type ProcessManagerDashboardOptions,
  type ResolvedDashboardOptions,
} from './dashboard.options.js';

/**
 * The operations dashboard, mounted inside the app (no extra server or port): the UI at `path` and its
 * JSON API at `<path>/api`, behind the app's own guards. Needs `ProcessManagerModule` in the app.
 *
 * ```ts
 * ProcessManagerDashboardModule.forRoot({
 *   guards: [AdminGuard],
 *   can: (action, request) => action !== 'cancel' || request.user.isLead,
 *   actor: (request) => request.user?.email,
 * })
 * ```
 */
@Module({})
export class ProcessManagerDashboardModule {
  /** Mounts the dashboard with these options. */
  static forRoot<Request = unknown>(options: ProcessManagerDashboardOptions<Request> = {}): DynamicModule {
    const resolved = resolveOptions(options);
    return {
      module: ProcessManagerDashboardModule,
      controllers: mountedControllers(resolved.path),
      providers: [
        { provide: DASHBOARD_OPTIONS, useValue: resolved },
        {
          provide: DASHBOARD_PROCESSES,
          inject: [{ token: ProcessManagerService, optional: true }],
          useFactory: (processes: ProcessManagerService | undefined) => {
            if (!processes) throw new DashboardWithoutProcessManagerError();
            return processes;
          },
        },
        DashboardAccess,
      ],
    };
  }
}

function resolveOptions<Request>(options: ProcessManagerDashboardOptions<Request>): ResolvedDashboardOptions {
  const path = options.path ?? DEFAULT_DASHBOARD_PATH;
  if (typeof path !== 'string' || !/^\/?([\w.~-]+\/?)*$/.test(path))
    throw new InvalidDashboardOptionError(
      'path',
      `must be a URL path of letters, digits, "-", "_", "." and "/" (got ${JSON.stringify(path)})`,
    );
  const guards = options.guards ?? [];
  const notGuard = guards.find((guard) => typeof guard !== 'function');
  if (!Array.isArray(guards) || notGuard !== undefined)
    throw new InvalidDashboardOptionError('guards', 'must be a list of guard classes');
  return {
    path: `/${path.split('/').filter(Boolean).join('/')}`,
    guards,
    readOnly: options.readOnly === true,
    // The platform hands over its own request object: the app's type for it is the app's business.
    can: (options.can as ResolvedDashboardOptions['can'] | undefined) ?? (() => true),
    actor: (options.actor as ResolvedDashboardOptions['actor'] | undefined) ?? (() => undefined),
  };
}

/**
 * Controller classes of their own for each `forRoot()`, so the path, guard, filter and interceptor are
 * Nest's own route metadata: global prefixes, versioning and global guards apply as to any controller.
 */
function mountedControllers(path: string): Type[] {
  class ProcessManagerDashboardUiController extends DashboardUiController {}
  class ProcessManagerDashboardApiController extends DashboardApiController {}
  const api = path === '/' ? '/api' : `${path}/api`;
  for (const [controller, at, kind] of [
    [ProcessManagerDashboardUiController, path, 'shell'],
    [ProcessManagerDashboardApiController, api, 'api'],
  ] as const) {
    Controller(at)(controller);
    DashboardRoute(kind)(controller);
    UseGuards(DashboardGuard)(controller);
    UseInterceptors(DashboardHeadersInterceptor)(controller);
    UseFilters(DashboardExceptionFilter)(controller);
  }
  return [ProcessManagerDashboardUiController, ProcessManagerDashboardApiController];
}
