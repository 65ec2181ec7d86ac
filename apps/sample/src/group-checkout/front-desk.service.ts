import { CommandHandler } from '@nestjs/cqrs';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { FakeDownstream } from '../downstream/fake-downstream.js';
import { FakeService } from '../downstream/fake-service.js';
import { CheckOutGuest, GuestCheckedOut, GuestCheckoutFailed } from './domain/group-checkout.messages.js';
import { GroupCheckoutRecord } from './group-checkout.entity.js';

/** Fake hotel front desk: checks one guest out, failing those listed in the group's `simulate.failGuests`. */
@CommandHandler(CheckOutGuest)
export class FrontDeskService extends FakeService<CheckOutGuest> {
  protected readonly command = CheckOutGuest;

  constructor(
    downstream: FakeDownstream,
    @InjectRepository(GroupCheckoutRecord) private readonly groups: Repository<GroupCheckoutRecord>,
  ) {
    super(downstream);
  }

  protected async respond({ groupId, guestId }: CheckOutGuest): Promise<object> {
    const group = await this.groups.findOne({ where: { id: groupId }, select: { id: true, simulate: true } });
    if (group?.simulate.failGuests?.includes(guestId)) {
      return new GuestCheckoutFailed(groupId, guestId, 'the room folio has an unpaid balance');
    }
    return new GuestCheckedOut(groupId, guestId);
  }
}
