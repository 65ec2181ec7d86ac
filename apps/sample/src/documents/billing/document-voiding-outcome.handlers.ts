import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { Outbox } from 'nestjs-process-manager';
import { DataSource } from 'typeorm';
import {
  AbortDocumentVoiding,
  CompleteDocumentVoiding,
  DocumentVoided,
  DocumentVoidingAborted,
} from '../domain/index.js';
import { BillingDocument } from './document.entity.js';

@CommandHandler(CompleteDocumentVoiding)
export class CompleteDocumentVoidingHandler implements ICommandHandler<CompleteDocumentVoiding> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  async execute({ documentId }: CompleteDocumentVoiding): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.update(BillingDocument, { id: documentId }, { status: 'voided', voidedAt: new Date() });
      await this.outbox.send(manager, new DocumentVoided(documentId));
    });
  }
}

@CommandHandler(AbortDocumentVoiding)
export class AbortDocumentVoidingHandler implements ICommandHandler<AbortDocumentVoiding> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  async execute({ documentId, reason }: AbortDocumentVoiding): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.update(BillingDocument, { id: documentId, status: 'voiding' }, { status: 'issued' });
      await this.outbox.send(manager, new DocumentVoidingAborted(documentId, reason));
    });
  }
}
