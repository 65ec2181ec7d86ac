import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { type ProcessInstance, ProcessManagerService, ProcessNotFoundError } from 'nestjs-process-manager';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { AcknowledgeProcessFailure } from './acknowledge-process-failure.command.js';
import { CancelProcessDto } from './cancel-process.dto.js';
import { DeadLettersQuery } from './dead-letters.query.js';
import { ListProcessesQuery } from './list-processes.query.js';
import { PROCESS_TYPES } from './process-types.js';

/** The part of the platform's response object used here. */
interface HttpResponse {
  setHeader(name: string, value: string): void;
}

const processId = () => new UuidParamPipe('process instance');

/** Operations on process instances: the API behind the dashboard. */
@Controller()
export class ProcessesController {
  constructor(
    private readonly processes: ProcessManagerService,
    private readonly commandBus: CommandBus,
  ) {}

  @Get('processes')
  async list(@Query() { type, status, limit, cursor }: ListProcessesQuery) {
    try {
      return await this.processes.list({ type, status, limit, cursor });
    } catch (error) {
      if (cursor !== undefined && isBadCursor(error)) {
        throw new BadRequestException({
          statusCode: 400,
          error: 'Bad Request',
          message: [`cursor is not a cursor returned as nextCursor: ${cursor}`],
          fields: ['cursor'],
        });
      }
      throw error;
    }
  }

  @Get('processes/types')
  types(): { types: string[] } {
    return { types: PROCESS_TYPES };
  }

  @Get('processes/types/:type/diagram')
  diagram(@Param('type') type: string, @Res({ passthrough: true }) response: HttpResponse): string {
    const diagram = this.processes.diagram(type);
    response.setHeader('Content-Type', 'text/plain; charset=utf-8');
    return diagram;
  }

  @Get('processes/:id')
  async get(@Param('id', processId()) id: string) {
    const instance = await this.found(id);
    return { ...instance, history: await this.processes.history(id) };
  }

  @Post('processes/:id/acknowledge')
  @HttpCode(HttpStatus.OK)
  async acknowledge(@Param('id', processId()) id: string): Promise<ProcessInstance> {
    await this.commandBus.execute(new AcknowledgeProcessFailure(id));
    return this.found(id);
  }

  @Post('processes/:id/retry')
  @HttpCode(HttpStatus.OK)
  async retry(@Param('id', processId()) id: string): Promise<ProcessInstance> {
    await this.processes.retry(id);
    return this.found(id);
  }

  @Post('processes/:id/cancel')
  @HttpCode(HttpStatus.OK)
  async cancel(
    @Param('id', processId()) id: string,
    @Body() { reason, compensate }: CancelProcessDto,
  ): Promise<ProcessInstance> {
    await this.processes.cancel(id, reason ?? 'Cancelled from the dashboard', { compensate });
    return this.found(id);
  }

  @Get('dead-letters')
  async deadLetters(@Query() { limit }: DeadLettersQuery) {
    return { items: await this.processes.deadLetters({ limit }) };
  }

  private async found(id: string): Promise<ProcessInstance> {
    const instance = await this.processes.get(id);
    if (!instance) throw new ProcessNotFoundError(id);
    return instance;
  }
}

/** The library rejects a malformed cursor with a TypeError, and one naming a non-uuid id reaches PostgreSQL. */
function isBadCursor(error: unknown): boolean {
  if (error instanceof TypeError || (error instanceof Error && /cursor/i.test(error.message))) return true;
  return (error as { code?: string } | null)?.code === '22P02'; // invalid_text_representation
}
