import { ProcessManagerError } from '../errors/index.js';
import type { DashboardAction } from './dashboard.options.js';

/** `ProcessManagerDashboardModule` was imported into an app without `ProcessManagerModule`. */
export class DashboardWithoutProcessManagerError extends ProcessManagerError {
  constructor() {
    super(
      'ProcessManagerDashboardModule needs ProcessManagerService, which ProcessManagerModule provides: ' +
        'import ProcessManagerModule.forRoot() (it is global) in your root module as well.',
    );
  }
}

/** A `forRoot()` option the dashboard cannot work with. */
export class InvalidDashboardOptionError extends ProcessManagerError {
  constructor(
    readonly option: string,
    readonly reason: string,
  ) {
    super(`ProcessManagerDashboardModule.forRoot(): ${option} ${reason}.`);
  }
}

/** A dashboard API request the dashboard cannot act on: a bad id, query parameter or body. Answered 400 (or 415). */
export class DashboardRequestError extends ProcessManagerError {
  constructor(
    message: string,
    /** The HTTP status of the answer. */
    readonly status: 400 | 415 = 400,
  ) {
    super(message);
  }
}

/** A write refused by `readOnly` or by `can()`. Answered 403. */
export class DashboardActionForbiddenError extends ProcessManagerError {
  constructor(
    readonly action: DashboardAction,
    readonly by: 'readOnly' | 'can',
  ) {
    super(
      by === 'readOnly'
        ? `The dashboard is read-only: "${action}" is not allowed (readOnly: true).`
        : `"${action}" is not allowed for this request: the dashboard's can() said no.`,
    );
  }
}

/** One of the app's guards returned false for a dashboard request. Answered 403. */
export class DashboardAccessDeniedError extends ProcessManagerError {
  constructor(readonly guard: string) {
    super(`Access to the dashboard was denied by ${guard}.`);
  }
}
