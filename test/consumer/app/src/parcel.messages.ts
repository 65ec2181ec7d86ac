import { MessageType } from 'nestjs-process-manager';

@MessageType('ParcelBooked')
export class ParcelBooked {
  constructor(readonly parcelId: string) {}
}

@MessageType('PrintLabel')
export class PrintLabel {
  constructor(readonly parcelId: string) {}
}

/** Scheduled by the process: the courier is due a moment after booking. */
@MessageType('PickupDue')
export class PickupDue {
  constructor(readonly parcelId: string) {}
}

@MessageType('SendCourier')
export class SendCourier {
  constructor(readonly parcelId: string) {}
}
