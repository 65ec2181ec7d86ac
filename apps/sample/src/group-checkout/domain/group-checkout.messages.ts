import { MessageType } from 'nestjs-process-manager';

@MessageType('GroupCheckoutRequested')
export class GroupCheckoutRequested {
  constructor(
    readonly groupId: string,
    readonly guests: string[],
  ) {}
}

/** To the front desk, once per guest of the group. */
@MessageType('CheckOutGuest')
export class CheckOutGuest {
  constructor(
    readonly groupId: string,
    readonly guestId: string,
  ) {}
}

@MessageType('GuestCheckedOut')
export class GuestCheckedOut {
  constructor(
    readonly groupId: string,
    readonly guestId: string,
  ) {}
}

@MessageType('GuestCheckoutFailed')
export class GuestCheckoutFailed {
  constructor(
    readonly groupId: string,
    readonly guestId: string,
    readonly reason: string,
  ) {}
}

@MessageType('GroupCheckoutCompleted')
export class GroupCheckoutCompleted {
  constructor(
    readonly groupId: string,
    readonly guests: string[],
  ) {}
}

/** Sent when every guest answered and some could not check out. */
@MessageType('NotifyGroupCheckoutFailure')
export class NotifyGroupCheckoutFailure {
  constructor(
    readonly groupId: string,
    readonly failedGuests: { guestId: string; reason: string }[],
  ) {}
}
