import { Injectable } from '@nestjs/common';
import { OnEvent, type ProcessContext, ProcessManager } from 'nestjs-process-manager';
import {
  AbortDocumentVoiding,
  CompleteDocumentVoiding,
  DocumentVoidingRequested,
  MarkDocumentAsVoided,
  MarkingDocumentAsVoidedFailed,
  MarkingDocumentAsVoidedSucceeded,
} from './domain/index.js';

export const DOCUMENT_VOIDING = 'document-voiding';

export interface DocumentVoidingState {
  documentId: string;
  customerId: string;
}

type Ctx = ProcessContext<DocumentVoidingState>;

/**
 * Voids a document across Billing and Reports. Keyed by document, so at most one voiding of a
 * document is active; a refused voiding stays failed (and the key taken) until acknowledged.
 */
@Injectable()
@ProcessManager({ name: DOCUMENT_VOIDING, correlationKey: 'documentId' })
export class DocumentVoiding {
  @OnEvent(DocumentVoidingRequested, { start: true, to: 'marking-as-voided' })
  requested(event: DocumentVoidingRequested, ctx: Ctx): void {
    ctx.state = { documentId: event.documentId, customerId: event.customerId };
    ctx.send(new MarkDocumentAsVoided(event.documentId));
  }

  @OnEvent(MarkingDocumentAsVoidedSucceeded, { from: 'marking-as-voided', to: 'voided' })
  marked(event: MarkingDocumentAsVoidedSucceeded, ctx: Ctx): void {
    ctx.send(new CompleteDocumentVoiding(event.documentId));
    ctx.complete();
  }

  @OnEvent(MarkingDocumentAsVoidedFailed, { from: 'marking-as-voided', to: 'aborted' })
  markingFailed(event: MarkingDocumentAsVoidedFailed, ctx: Ctx): void {
    ctx.send(new AbortDocumentVoiding(event.documentId, event.reason));
    ctx.fail(`Reports refused to void the document: ${event.reason}`);
  }
}
