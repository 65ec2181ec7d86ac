import { CommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { FakeDownstream } from '../../downstream/fake-downstream.js';
import { FakeService } from '../../downstream/fake-service.js';
import {
  MarkDocumentAsVoided,
  MarkingDocumentAsVoidedFailed,
  MarkingDocumentAsVoidedSucceeded,
} from '../domain/index.js';
import { ReportLine } from './report-line.entity.js';

/** Reports, answering after a delay like a remote service: a document in a published report stays. */
@CommandHandler(MarkDocumentAsVoided)
export class MarkDocumentAsVoidedService extends FakeService<MarkDocumentAsVoided> {
  protected readonly command = MarkDocumentAsVoided;

  constructor(
    downstream: FakeDownstream,
    @InjectRepository(ReportLine) private readonly lines: Repository<ReportLine>,
  ) {
    super(downstream);
  }

  protected async respond({ documentId }: MarkDocumentAsVoided): Promise<object> {
    const marked = await this.lines.update({ documentId, reportId: IsNull() }, { voidedAt: new Date() });
    if (marked.affected) return new MarkingDocumentAsVoidedSucceeded(documentId);
    const line = await this.lines.findOneBy({ documentId });
    return new MarkingDocumentAsVoidedFailed(
      documentId,
      line ? `it is in published report ${line.reportId}` : 'Reports does not know the document',
    );
  }
}
