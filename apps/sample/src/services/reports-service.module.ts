import { type DynamicModule, Module } from '@nestjs/common';
import {
  DocumentIssued,
  MarkDocumentAsVoided,
  MarkingDocumentAsVoidedFailed,
  MarkingDocumentAsVoidedSucceeded,
} from '../documents/domain/index.js';
import { MarkDocumentAsVoidedHandler } from '../documents/reports/mark-document-as-voided.handler.js';
import { ReportsModule } from '../documents/reports/reports.module.js';
import type { SampleServiceOptions } from './sample-service.js';
import { serviceInfrastructure } from './service-infrastructure.js';

/**
 * Reports as its own service: learns documents from Billing's `DocumentIssued` and answers
 * `MarkDocumentAsVoided`, both over the broker.
 */
@Module({})
export class ReportsServiceModule {
  static forRoot(options: SampleServiceOptions): DynamicModule {
    return {
      module: ReportsServiceModule,
      imports: [
        ...serviceInfrastructure(options, {
          publish: [MarkingDocumentAsVoidedSucceeded, MarkingDocumentAsVoidedFailed],
          subscribe: [DocumentIssued, MarkDocumentAsVoided],
        }),
        ReportsModule,
      ],
      providers: [MarkDocumentAsVoidedHandler],
    };
  }
}
