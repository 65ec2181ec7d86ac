import { CommandHandler } from '@nestjs/cqrs';
import { FakeDownstream } from '../../downstream/fake-downstream.js';
import { FakeService } from '../../downstream/fake-service.js';
import { MarkDocumentAsVoided } from '../domain/index.js';
import { ReportsService } from './reports.service.js';

/**
 * Reports in the one-process sample, answering after a delay like a remote service: a document in a
 * published report stays.
 */
@CommandHandler(MarkDocumentAsVoided)
export class MarkDocumentAsVoidedService extends FakeService<MarkDocumentAsVoided> {
  protected readonly command = MarkDocumentAsVoided;

  constructor(
    downstream: FakeDownstream,
    private readonly reports: ReportsService,
  ) {
    super(downstream);
  }

  protected respond({ documentId }: MarkDocumentAsVoided): Promise<object> {
    return this.reports.markVoided(documentId);
  }
}
