import { OnEvent, type ProcessContext, ProcessManager } from 'nestjs-process-manager';
import { ParcelBooked, PickupDue, PrintLabel, SendCourier } from './parcel.messages.js';

interface ParcelState {
  bookedAt?: string;
  pickedUpAt?: string;
}

@ProcessManager({ name: 'parcel', correlationKey: 'parcelId', initialState: (): ParcelState => ({}) })
export class ParcelProcess {
  @OnEvent(ParcelBooked, { start: true, to: 'awaiting-pickup' })
  booked(event: ParcelBooked, ctx: ProcessContext<ParcelState>) {
    ctx.state.bookedAt = ctx.now().toISOString();
    ctx.send(new PrintLabel(event.parcelId));
    ctx.schedule(new PickupDue(event.parcelId), { after: 200 }, 'pickup');
  }

  @OnEvent(PickupDue, { from: 'awaiting-pickup', to: 'picked-up' })
  pickupDue(event: PickupDue, ctx: ProcessContext<ParcelState>) {
    ctx.state.pickedUpAt = ctx.now().toISOString();
    ctx.send(new SendCourier(event.parcelId));
    ctx.complete();
  }
}
