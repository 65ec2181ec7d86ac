import { EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { DocumentIssued } from '../domain/index.js';
import { ReportLine } from './report-line.entity.js';

/** Reports learns about documents from Billing's `DocumentIssued`. */
@EventsHandler(DocumentIssued)
export class ReportLinesProjector implements IEventHandler<DocumentIssued> {
  constructor(@InjectRepository(ReportLine) private readonly lines: Repository<ReportLine>) {}

  async handle({ documentId, customerId }: DocumentIssued): Promise<void> {
    await this.lines.upsert({ documentId, customerId }, ['documentId']);
  }
}
