import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import {
  InvalidProcessStatusError,
  ProcessManagerError,
  ProcessNotFoundError,
  UnknownProcessTypeError,
} from 'nestjs-process-manager';
import { ConflictError, NotFoundError, SampleError } from './domain.errors.js';

/** The part of the platform's response object used here (Express by default). */
interface HttpResponse {
  status(code: number): { json(body: unknown): void };
}

/** Turns the library's and the sample's named errors into 404 / 409 responses with their message. */
@Catch(ProcessManagerError, SampleError)
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  catch(error: Error, host: ArgumentsHost): void {
    const status = statusOf(error);
    if (status === HttpStatus.INTERNAL_SERVER_ERROR) this.logger.error(error.message, error.stack);
    host
      .switchToHttp()
      .getResponse<HttpResponse>()
      .status(status)
      .json({ statusCode: status, error: error.name, message: error.message });
  }
}

function statusOf(error: Error): HttpStatus {
  if (error instanceof NotFoundError) return HttpStatus.NOT_FOUND;
  if (error instanceof ConflictError) return HttpStatus.CONFLICT;
  if (error instanceof ProcessNotFoundError || error instanceof UnknownProcessTypeError)
    return HttpStatus.NOT_FOUND;
  if (error instanceof InvalidProcessStatusError) return HttpStatus.CONFLICT;
  return HttpStatus.INTERNAL_SERVER_ERROR;
}
