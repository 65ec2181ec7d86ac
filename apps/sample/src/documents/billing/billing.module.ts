import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DocumentVoiding } from '../document-voiding.process.js';
import { BillingService } from './billing.service.js';
import { BillingDocument } from './document.entity.js';
import {
  AbortDocumentVoidingHandler,
  CompleteDocumentVoidingHandler,
} from './document-voiding-outcome.handlers.js';
import { DocumentsController } from './documents.controller.js';
import { VoidDocumentHandler } from './void-document.handler.js';

/** Billing: documents, `VoidDocument` and the voiding process manager. Needs `CommonModule` (ProcessStarts). */
@Module({
  imports: [TypeOrmModule.forFeature([BillingDocument])],
  controllers: [DocumentsController],
  providers: [
    DocumentVoiding,
    BillingService,
    VoidDocumentHandler,
    CompleteDocumentVoidingHandler,
    AbortDocumentVoidingHandler,
  ],
})
export class BillingModule {}
