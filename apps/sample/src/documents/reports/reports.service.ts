import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
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
