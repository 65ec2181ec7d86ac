import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Outbox } from 'nestjs-process-manager';
import { DataSource, Repository } from 'typeorm';
import { NotFoundError } from '../../common/domain.errors.js';
import { DocumentIssued } from '../domain/index.js';
import { BillingDocument } from './document.entity.js';

@Injectable()
export class BillingService {
  constructor(
    @InjectRepository(BillingDocument) private readonly documents: Repository<BillingDocument>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
  ) {}

  async issue(customerId: string): Promise<{ documentId: string }> {
    const documentId = randomUUID();
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(BillingDocument, { id: documentId, customerId, status: 'issued' });
      await this.outbox.send(manager, new DocumentIssued(documentId, customerId));
    });
    return { documentId };
  }

  async get(documentId: string): Promise<BillingDocument> {
    const document = await this.documents.findOneBy({ id: documentId });
    if (!document) throw new NotFoundError(`No document with id ${documentId}.`);
    return document;
  }
}
