import { MessageType } from 'nestjs-process-manager';

/** Sends a message to a customer or operator (here: stored and listed by GET /notifications). */
@MessageType('SendNotification')
export class SendNotification {
  constructor(
    readonly kind: string,
    /** What it is about: an order id, a group id, … */
    readonly reference: string,
    readonly message: string,
  ) {}
}
