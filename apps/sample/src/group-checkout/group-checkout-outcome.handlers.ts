import {
  CommandBus,
  CommandHandler,
  EventsHandler,
  type ICommandHandler,
  type IEventHandler,
} from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { SendNotification } from '../notifications/send-notification.command.js';
import { GroupCheckoutCompleted, NotifyGroupCheckoutFailure } from './domain/group-checkout.messages.js';
import { GroupCheckoutRecord } from './group-checkout.entity.js';

/** Records the failed guests and tells the group's organiser which guests could not check out. */
@CommandHandler(NotifyGroupCheckoutFailure)
export class NotifyGroupCheckoutFailureHandler implements ICommandHandler<NotifyGroupCheckoutFailure> {
  constructor(
    @InjectRepository(GroupCheckoutRecord) private readonly groups: Repository<GroupCheckoutRecord>,
    private readonly commandBus: CommandBus,
  ) {}

  async execute({ groupId, failedGuests }: NotifyGroupCheckoutFailure): Promise<void> {
    await this.groups.update({ id: groupId }, { status: 'failed', failedGuests });
    const names = failedGuests.map(({ guestId, reason }) => `${guestId} (${reason})`).join(', ');
    await this.commandBus.execute(
      new SendNotification('group-checkout-failed', groupId, `Group checkout incomplete: ${names}.`),
    );
  }
}

@EventsHandler(GroupCheckoutCompleted)
export class GroupCheckoutCompletedHandler implements IEventHandler<GroupCheckoutCompleted> {
  constructor(
    @InjectRepository(GroupCheckoutRecord) private readonly groups: Repository<GroupCheckoutRecord>,
  ) {}

  async handle({ groupId }: GroupCheckoutCompleted): Promise<void> {
    await this.groups.update({ id: groupId }, { status: 'completed' });
  }
}
