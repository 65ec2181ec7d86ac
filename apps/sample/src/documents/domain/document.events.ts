import { MessageType } from 'nestjs-process-manager';

@MessageType('DocumentIssued')
export class DocumentIssued {
  constructor(
    readonly documentId: string,
    readonly customerId: string,
  ) {}
}

@MessageType('DocumentVoidingRequested')
export class DocumentVoidingRequested {
  constructor(
    readonly documentId: string,
    readonly customerId: string,
  ) {}
}

@MessageType('MarkingDocumentAsVoidedSucceeded')
export class MarkingDocumentAsVoidedSucceeded {
  constructor(readonly documentId: string) {}
}

@MessageType('MarkingDocumentAsVoidedFailed')
export class MarkingDocumentAsVoidedFailed {
  constructor(
    readonly documentId: string,
    readonly reason: string,
  ) {}
}

@MessageType('DocumentVoided')
export class DocumentVoided {
  constructor(readonly documentId: string) {}
}

@MessageType('DocumentVoidingAborted')
export class DocumentVoidingAborted {
  constructor(
    readonly documentId: string,
    readonly reason: string,
  ) {}
}
