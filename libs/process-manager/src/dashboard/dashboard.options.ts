import type { CanActivate, Type } from '@nestjs/common';

/** What an operator can do from the dashboard; `can()` decides each one per request. */
export type DashboardAction =
  | 'retry'
  | 'cancel'
  | 'acknowledge'
  | 'edit-state'
  | 'force-transition'
  | 'reschedule-timer'
  | 'fire-timer'
  | 'cancel-timer'
  | 'bulk-retry';

/** Every `DashboardAction`, in the order the UI lists them. */
export const DASHBOARD_ACTIONS: readonly DashboardAction[] = Object.keys({
  retry: true,
  cancel: true,
  acknowledge: true,
  'edit-state': true,
  'force-transition': true,
  'reschedule-timer': true,
  'fire-timer': true,
  'cancel-timer': true,
  'bulk-retry': true,
} satisfies Record<DashboardAction, true>) as DashboardAction[];

/**
 * Options of `ProcessManagerDashboardModule.forRoot()`. The request handed to `can()` and `actor()` is
 * the platform's own (an Express `Request`), after the guards ran: whatever they attached (e.g.
 * `request.user`) is there. Annotate the parameter with your request type:
 * `can: (action, request: AuthenticatedRequest) => …`.
 */
export interface ProcessManagerDashboardOptions<Request = unknown> {
  /**
   * Where the UI is served; its JSON API lives under `<path>/api`. Any global prefix of the app applies.
   * @default '/process-manager'
   */
  path?: string;
  /**
   * The app's own guards, run in order on every route of the UI and of its API (after any global
   * guard of the app). A guard class registered as a provider anywhere in the app is used as that
   * instance; otherwise it is created with the app's global providers, as `@UseGuards()` would.
   * @default []
   */
  guards?: Type<CanActivate>[];
  /**
   * Every write (retry, cancel, acknowledge, …) answers 403; reads are unaffected.
   * @default false
   */
  readOnly?: boolean;
  /**
   * Decides each action per request: false answers 403. Also asked, per action, when the UI loads, so
   * it can disable what the operator may not do.
   * @default every action is allowed
   */
  can?: (action: DashboardAction, request: Request) => boolean | Promise<boolean>;
  /**
   * Names who acted, for the audit trail (the instance's history); undefined records no actor.
   * @default no actor
   */
  actor?: (request: Request) => string | undefined;
}

/** The options with defaults applied and `path` normalised (`/a/b`, no trailing slash). */
export interface ResolvedDashboardOptions {
  path: string;
  guards: Type<CanActivate>[];
  readOnly: boolean;
  can: (action: DashboardAction, request: unknown) => boolean | Promise<boolean>;
  actor: (request: unknown) => string | undefined;
}

export const DASHBOARD_OPTIONS = Symbol('process-manager:dashboard-options');
export const DEFAULT_DASHBOARD_PATH = '/process-manager';
