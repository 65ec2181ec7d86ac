import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { UuidParamPipe } from '../../common/uuid-param.pipe.js';
import { VoidDocument } from '../domain/index.js';
import { BillingService } from './billing.service.js';
import { CreateDocumentDto } from './create-document.dto.js';

@Controller('documents')
export class DocumentsController {
  constructor(
    private readonly billing: BillingService,
    private readonly commandBus: CommandBus,
  ) {}

  @Post()
  issue(@Body() { customerId }: CreateDocumentDto): Promise<{ documentId: string }> {
    return this.billing.issue(customerId);
  }

  @Get(':documentId')
  async get(@Param('documentId', new UuidParamPipe('document')) documentId: string) {
    const { id, customerId, status, issuedAt, voidedAt } = await this.billing.get(documentId);
    return { documentId: id, customerId, status, issuedAt, voidedAt };
  }

  @Post(':documentId/void')
  @HttpCode(HttpStatus.ACCEPTED)
  async void(
    @Param('documentId', new UuidParamPipe('document')) documentId: string,
  ): Promise<{ processId: string }> {
    const processId: string = await this.commandBus.execute(new VoidDocument(documentId));
    return { processId };
  }
}
