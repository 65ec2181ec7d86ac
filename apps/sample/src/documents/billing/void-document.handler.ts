import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { Outbox, ProcessManagerService } from 'nestjs-process-manager';
import { DataSource } from 'typeorm';
import { ConflictError } from '../../common/domain.errors.js';
import { ProcessStarts } from '../../common/process-starts.js';
import { DOCUMENT_VOIDING } from '../document-voiding.process.js';
import { DocumentVoidingRequested, VoidDocument } from '../domain/index.js';
import { BillingService } from './billing.service.js';
import { BillingDocument } from './document.entity.js';

/** Starts a voiding, unless one of the document is active or failed and not yet acknowledged. */
@CommandHandler(VoidDocument)
export class VoidDocumentHandler implements ICommandHandler<VoidDocument, string> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly billing: BillingService,
    private readonly processes: ProcessManagerService,
    private readonly processStarts: ProcessStarts,
  ) {}

  /** @returns the id of the voiding process */
  async execute({ documentId }: VoidDocument): Promise<string> {
    const document = await this.billing.get(documentId);
    const active = await this.processes.find(DOCUMENT_VOIDING, documentId);
    if (active?.status === 'failed') {
      throw new ConflictError(
        `The last voiding of document ${documentId} failed (${active.lastError ?? 'no reason'}); ` +
          `acknowledge process ${active.id} before voiding it again.`,
      );
    }
    if (active) {
      throw new ConflictError(`Document ${documentId} is already being voided by process ${active.id}.`);
    }
    if (document.status === 'voided') throw new ConflictError(`Document ${documentId} is already voided.`);
    return this.processStarts.start(DOCUMENT_VOIDING, documentId, () =>
      this.dataSource.transaction(async (manager) => {
        // The status flip is the lock against two requests racing past the checks above.
        const claimed = await manager.update(
          BillingDocument,
          { id: documentId, status: 'issued' },
          { status: 'voiding' },
        );
        if (!claimed.affected) throw new ConflictError(`Document ${documentId} is already being voided.`);
        await this.outbox.send(manager, new DocumentVoidingRequested(documentId, document.customerId));
      }),
    );
  }
}
