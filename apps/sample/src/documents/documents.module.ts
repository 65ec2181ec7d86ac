import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BillingService } from './billing/billing.service.js';
import { BillingDocument } from './billing/document.entity.js';
import {
  AbortDocumentVoidingHandler,
  CompleteDocumentVoidingHandler,
} from './billing/document-voiding-outcome.handlers.js';
import { DocumentsController } from './billing/documents.controller.js';
import { VoidDocumentHandler } from './billing/void-document.handler.js';
import { DocumentVoiding } from './document-voiding.process.js';
import { MarkDocumentAsVoidedService } from './reports/mark-document-as-voided.service.js';
import { ReportLine } from './reports/report-line.entity.js';
import { ReportLinesProjector } from './reports/report-lines.projector.js';
import { Report } from './reports/report.entity.js';
import { ReportsController } from './reports/reports.controller.js';
import { ReportsService } from './reports/reports.service.js';

/** Billing and Reports, and the document voiding process between them. */
@Module({
  imports: [TypeOrmModule.forFeature([BillingDocument, Report, ReportLine])],
  controllers: [DocumentsController, ReportsController],
  providers: [
    DocumentVoiding,
    BillingService,
    VoidDocumentHandler,
    CompleteDocumentVoidingHandler,
    AbortDocumentVoidingHandler,
    ReportsService,
    ReportLinesProjector,
    MarkDocumentAsVoidedService,
  ],
})
export class DocumentsModule {}
