import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import {
  ConcurrencyConflictError,
  ConflictRetriesExhaustedError,
  DeadLetterNotFoundError,
  InvalidArgumentError,
  InvalidCursorError,
  InvalidProcessStatusError,
  ProcessManagerError,
  ProcessNotFoundError,
  RepairConflictError,
  RepairReasonRequiredError,
  TimerNotFoundError,
  UnknownProcessTypeError,
} from '../errors/index.js';
import {
  DashboardAccessDeniedError,
  DashboardActionForbiddenError,
  DashboardRequestError,
} from './dashboard.errors.js';
import { applyHeaders, type HeaderTarget } from './dashboard-headers.interceptor.js';

interface HttpResponse extends HeaderTarget {
  headersSent: boolean;
  status(code: number): { json(body: unknown): void };
}

/** The answer to a failed dashboard request: the error's name and message; never a stack. */
export interface DashboardErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

/**
 * Every error of a dashboard route: the library's named errors and the guards' HTTP exceptions keep
 * their name and message with a 4xx; anything else is logged and answered as a bare 500.
 */
@Catch()
export class DashboardExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProcessManagerDashboard');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const body = this.bodyOf(exception);
    if (response.headersSent) return;
    applyHeaders(response, 'api');
    response.status(body.statusCode).json(body);
  }

  private bodyOf(exception: unknown): DashboardErrorBody {
    if (exception instanceof HttpException) {
      const answer = exception.getResponse();
      const message =
        typeof answer === 'string'
          ? answer
          : [(answer as { message?: unknown }).message ?? exception.message].flat().join('; ');
      return { statusCode: exception.getStatus(), error: exception.name, message };
    }
    const status = exception instanceof Error ? statusOf(exception) : undefined;
    if (status !== undefined) {
      const error = exception as Error;
      return { statusCode: status, error: error.name, message: error.message };
    }
    this.logger.error(
      `Dashboard request failed: ${exception instanceof Error ? exception.message : String(exception)}`,
      exception instanceof Error ? exception.stack : undefined,
    );
    return {
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      error: 'InternalServerError',
      message: 'The dashboard request failed on the server; its log has the details.',
    };
  }
}

function statusOf(error: Error): number | undefined {
  if (error instanceof DashboardRequestError) return error.status;
  if (error instanceof DashboardActionForbiddenError || error instanceof DashboardAccessDeniedError)
    return HttpStatus.FORBIDDEN;
  if (
    error instanceof ProcessNotFoundError ||
    error instanceof DeadLetterNotFoundError ||
    error instanceof TimerNotFoundError ||
    error instanceof UnknownProcessTypeError
  )
    return HttpStatus.NOT_FOUND;
  if (
    error instanceof InvalidProcessStatusError ||
    error instanceof ConcurrencyConflictError ||
    error instanceof ConflictRetriesExhaustedError ||
    error instanceof RepairConflictError
  )
    return HttpStatus.CONFLICT;
  if (
    error instanceof InvalidCursorError ||
    error instanceof InvalidArgumentError ||
    error instanceof RepairReasonRequiredError
  )
    return HttpStatus.BAD_REQUEST;
  // The library's argument and input checks: InvalidArgumentError, hopeless input errors, …
  if (error instanceof ProcessManagerError && (/^Invalid/.test(error.name) || 'hopeless' in error))
    return HttpStatus.BAD_REQUEST;
  return undefined;
}
