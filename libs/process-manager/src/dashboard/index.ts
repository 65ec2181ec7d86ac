// Entry 'nestjs-process-manager/dashboard' (DESIGN §3.2): the operations dashboard as a Nest module.
export { ProcessManagerDashboardModule } from './dashboard.module.js';
export {
  DASHBOARD_ACTIONS,
  type DashboardAction,
  type ProcessManagerDashboardOptions,
} from './dashboard.options.js';
export { isDashboardShell } from './dashboard-access.js';
export {
  DashboardAccessDeniedError,
  DashboardActionForbiddenError,
  DashboardRequestError,
  DashboardWithoutProcessManagerError,
  InvalidDashboardOptionError,
} from './dashboard.errors.js';
