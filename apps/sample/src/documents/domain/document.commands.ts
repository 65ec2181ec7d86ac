import { MessageType } from 'nestjs-process-manager';

/** Billing: start voiding a document (answers with the id of the voiding process). */
@MessageType('VoidDocument')
export class VoidDocument {
  constructor(readonly documentId: string) {}
}

/** Reports: flag the document as voided, unless a published report contains it. */
@MessageType('MarkDocumentAsVoided')
export class MarkDocumentAsVoided {
  constructor(readonly documentId: string) {}
}

/** Billing: the voiding went through. */
@MessageType('CompleteDocumentVoiding')
export class CompleteDocumentVoiding {
  constructor(readonly documentId: string) {}
}

/** Billing: the voiding was refused; the document stays issued. */
@MessageType('AbortDocumentVoiding')
export class AbortDocumentVoiding {
  constructor(
    readonly documentId: string,
    readonly reason: string,
  ) {}
}
