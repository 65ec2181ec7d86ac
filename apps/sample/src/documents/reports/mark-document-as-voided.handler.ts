import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { InjectDataSource } from '@nestjs/typeorm';
import { getMetadata, Outbox, withMetadata } from 'nestjs-process-manager';
import { DataSource } from 'typeorm';
import { replyIdFor } from '../../common/reply-id.js';
import { MarkDocumentAsVoided } from '../domain/index.js';
import { ReportsService } from './reports.service.js';

/**
 * Reports as its own service: marks the line and writes the answer to the outbox in one transaction,
 * so the answer leaves over the broker only if the line changed. A redelivered command changes nothing
 * and answers with the same messageId, which Billing's inbox skips.
 */
@CommandHandler(MarkDocumentAsVoided)
export class MarkDocumentAsVoidedHandler implements ICommandHandler<MarkDocumentAsVoided> {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly reports: ReportsService,
  ) {}

  async execute(command: MarkDocumentAsVoided): Promise<void> {
    const metadata = getMetadata(command);
    await this.dataSource.transaction(async (manager) => {
      const answer = await this.reports.markVoided(command.documentId, manager);
      await this.outbox.send(
        manager,
        metadata
          ? withMetadata(answer, {
              messageId: replyIdFor(metadata.messageId),
              correlationId: metadata.correlationId,
              causationId: metadata.messageId,
              occurredAt: new Date(),
            })
          : answer,
      );
    });
  }
}
