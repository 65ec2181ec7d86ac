import { randomUUID } from 'node:crypto';
import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Outbox, ProcessManagerService } from 'nestjs-process-manager';
import { DataSource, Repository } from 'typeorm';
import { NotFoundError } from '../common/domain.errors.js';
import { ProcessStarts } from '../common/process-starts.js';
import type { CreateGroupCheckoutDto } from './create-group-checkout.dto.js';
import { GroupCheckoutRequested } from './domain/group-checkout.messages.js';
import { GROUP_CHECKOUT, type GroupCheckoutState } from './group-checkout.process.js';
import { GroupCheckoutRecord } from './group-checkout.entity.js';

@Injectable()
export class GroupCheckoutsService {
  constructor(
    @InjectRepository(GroupCheckoutRecord) private readonly groups: Repository<GroupCheckoutRecord>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: Outbox,
    private readonly processStarts: ProcessStarts,
    private readonly processes: ProcessManagerService,
  ) {}

  async start({
    guests,
    simulate = {},
  }: CreateGroupCheckoutDto): Promise<{ groupId: string; processId: string }> {
    const unknown = (simulate.failGuests ?? []).filter((guest) => !guests.includes(guest));
    if (unknown.length > 0) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: [`simulate.failGuests names guests not in guests: ${unknown.join(', ')}`],
        fields: ['simulate.failGuests'],
      });
    }
    const groupId = randomUUID();
    const processId = await this.processStarts.start(GROUP_CHECKOUT, groupId, () =>
      this.dataSource.transaction(async (manager) => {
        await manager.insert(GroupCheckoutRecord, {
          id: groupId,
          guests,
          simulate: { failGuests: simulate.failGuests ?? [] },
          status: 'checking-out',
        });
        await this.outbox.send(manager, new GroupCheckoutRequested(groupId, guests));
      }),
    );
    await this.groups.update({ id: groupId }, { processId });
    return { groupId, processId };
  }

  async view(groupId: string) {
    const group = await this.groups.findOneBy({ id: groupId });
    if (!group) throw new NotFoundError(`No group checkout with id ${groupId}.`);
    const process = group.processId ? await this.processes.get(group.processId) : null;
    const answers = (process?.state as GroupCheckoutState | undefined)?.guests ?? {};
    return {
      groupId: group.id,
      status: group.status,
      processId: group.processId,
      guests: group.guests.map((guestId) => ({
        guestId,
        status: answers[guestId]?.status ?? 'pending',
        reason: answers[guestId]?.reason,
      })),
      failedGuests: group.failedGuests ?? [],
      createdAt: group.createdAt,
    };
  }
}
