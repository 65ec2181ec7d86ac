import { DOCUMENT_VOIDING } from '../documents/document-voiding.process.js';
import { GROUP_CHECKOUT } from '../group-checkout/group-checkout.process.js';
import { ORDER_FULFILMENT } from '../orders/order-fulfilment.saga.js';

/** The process types of this app, for the dashboard's filter. */
export const PROCESS_TYPES = [ORDER_FULFILMENT, DOCUMENT_VOIDING, GROUP_CHECKOUT];
