import { type DynamicModule, Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module.js';
import { BillingModule } from '../documents/billing/billing.module.js';
import {
  DocumentIssued,
  MarkDocumentAsVoided,
  MarkingDocumentAsVoidedFailed,
  MarkingDocumentAsVoidedSucceeded,
} from '../documents/domain/index.js';
import { ProcessesModule } from '../processes/processes.module.js';
import type { SampleServiceOptions } from './sample-service.js';
import { serviceInfrastructure } from './service-infrastructure.js';

/**
 * Billing as its own service: documents, `VoidDocument` and the voiding process manager, whose
 * `MarkDocumentAsVoided` goes to Reports over the broker and whose answers come back the same way.
 */
@Module({})
export class BillingServiceModule {
  static forRoot(options: SampleServiceOptions): DynamicModule {
    return {
      module: BillingServiceModule,
      imports: [
        ...serviceInfrastructure(options, {
          publish: [DocumentIssued, MarkDocumentAsVoided],
          subscribe: [MarkingDocumentAsVoidedSucceeded, MarkingDocumentAsVoidedFailed],
        }),
        CommonModule,
        BillingModule,
        ProcessesModule,
      ],
    };
  }
}
