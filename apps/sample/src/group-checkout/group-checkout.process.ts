import { Injectable } from '@nestjs/common';
import { OnEvent, type ProcessContext, ProcessManager } from 'nestjs-process-manager';
import {
  CheckOutGuest,
  GroupCheckoutCompleted,
  GroupCheckoutRequested,
  GuestCheckedOut,
  GuestCheckoutFailed,
  NotifyGroupCheckoutFailure,
} from './domain/group-checkout.messages.js';

export const GROUP_CHECKOUT = 'group-checkout';

export type GuestCheckoutStatus = 'pending' | 'checked-out' | 'failed';

export interface GroupCheckoutState {
  guests: Record<string, { status: GuestCheckoutStatus; reason?: string }>;
}

type Ctx = ProcessContext<GroupCheckoutState>;

/** Fans a group checkout out to one `CheckOutGuest` per guest and fans the answers back in. */
@Injectable()
@ProcessManager({ name: GROUP_CHECKOUT, correlationKey: 'groupId', initialState: () => ({ guests: {} }) })
export class GroupCheckout {
  @OnEvent(GroupCheckoutRequested, { start: true, to: 'checking-out' })
  requested(event: GroupCheckoutRequested, ctx: Ctx): void {
    for (const guestId of event.guests) {
      ctx.state.guests[guestId] = { status: 'pending' };
      ctx.send(new CheckOutGuest(event.groupId, guestId));
    }
  }

  @OnEvent(GuestCheckedOut, { from: 'checking-out' })
  checkedOut(event: GuestCheckedOut, ctx: Ctx): void {
    ctx.state.guests[event.guestId] = { status: 'checked-out' };
    this.finishWhenAllAnswered(event.groupId, ctx);
  }

  @OnEvent(GuestCheckoutFailed, { from: 'checking-out' })
  guestFailed(event: GuestCheckoutFailed, ctx: Ctx): void {
    ctx.state.guests[event.guestId] = { status: 'failed', reason: event.reason };
    this.finishWhenAllAnswered(event.groupId, ctx);
  }

  private finishWhenAllAnswered(groupId: string, ctx: Ctx): void {
    const guests = Object.entries(ctx.state.guests);
    if (guests.some(([, guest]) => guest.status === 'pending')) return;
    const failed = guests
      .filter(([, guest]) => guest.status === 'failed')
      .map(([guestId, guest]) => ({ guestId, reason: guest.reason ?? 'unknown' }));
    if (failed.length === 0) {
      ctx.publish(
        new GroupCheckoutCompleted(
          groupId,
          guests.map(([guestId]) => guestId),
        ),
      );
      ctx.transitionTo('completed');
      ctx.complete();
      return;
    }
    ctx.send(new NotifyGroupCheckoutFailure(groupId, failed));
    ctx.transitionTo('partially-failed');
    ctx.fail(
      `${failed.length} of ${guests.length} guest(s) could not check out: ${failed.map((guest) => guest.guestId).join(', ')}`,
    );
  }
}
