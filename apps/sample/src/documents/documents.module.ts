import { Module } from '@nestjs/common';
import { BillingModule } from './billing/billing.module.js';
import { MarkDocumentAsVoidedService } from './reports/mark-document-as-voided.service.js';
import { ReportsModule } from './reports/reports.module.js';

/** Billing and Reports in one process, and the document voiding process between them. */
@Module({
  imports: [BillingModule, ReportsModule],
  providers: [MarkDocumentAsVoidedService],
})
export class DocumentsModule {}
