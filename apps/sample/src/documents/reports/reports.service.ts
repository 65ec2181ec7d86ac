import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { MarkingDocumentAsVoidedFailed, MarkingDocumentAsVoidedSucceeded } from '../domain/index.js';
import { ReportLine } from './report-line.entity.js';
import { Report } from './report.entity.js';

export interface PublishedReport {
  reportId: string;
  customerId: string;
  documentIds: string[];
  publishedAt: Date;
}

@Injectable()
export class ReportsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The customer's documents as Reports knows them, and the report each one is in. */
  async linesOf(
    customerId: string,
  ): Promise<{ documentId: string; reportId: string | null; voided: boolean }[]> {
    const lines = await this.dataSource.getRepository(ReportLine).find({ where: { customerId } });
    return lines.map(({ documentId, reportId, voidedAt }) => ({
      documentId,
      reportId,
      voided: voidedAt !== null,
    }));
  }

  /**
   * Flags the document's line as voided unless a published report contains it, in `manager`'s
   * transaction when given. Asked again (a redelivered command), a voided line answers the same.
   * @returns the answer to `MarkDocumentAsVoided`
   */
  async markVoided(
    documentId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<MarkingDocumentAsVoidedSucceeded | MarkingDocumentAsVoidedFailed> {
    const lines = manager.getRepository(ReportLine);
    const marked = await lines.update(
      { documentId, reportId: IsNull(), voidedAt: IsNull() },
      { voidedAt: new Date() },
    );
    if (marked.affected) return new MarkingDocumentAsVoidedSucceeded(documentId);
    const line = await lines.findOneBy({ documentId });
    if (line?.voidedAt) return new MarkingDocumentAsVoidedSucceeded(documentId);
    return new MarkingDocumentAsVoidedFailed(
      documentId,
      line ? `it is in published report ${line.reportId}` : 'Reports does not know the document',
    );
  }

  /** Publishes a report with every document of the customer not yet in one (and not voided). */
  publish(customerId: string): Promise<PublishedReport> {
    return this.dataSource.transaction(async (manager) => {
      const reportId = randomUUID();
      const publishedAt = new Date();
      await manager.insert(Report, { id: reportId, customerId, publishedAt });
      const result = await manager
        .createQueryBuilder()
        .update(ReportLine)
        .set({ reportId })
        .where({ customerId, reportId: IsNull(), voidedAt: IsNull() })
        .returning('document_id')
        .execute();
      const rows = result.raw as { document_id: string }[];
      return { reportId, customerId, documentIds: rows.map((row) => row.document_id), publishedAt };
    });
  }
}
