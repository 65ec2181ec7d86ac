import { OrderSimulations } from './order-simulations.js';
import { OrderValidationService } from './order-validation.service.js';
import { ChargePaymentService, RefundPaymentService } from './payment-provider.service.js';
import { ShippingService } from './shipping.service.js';
import { ReleaseInventoryService, ReserveInventoryService } from './warehouse.service.js';

export { CREDIT_LIMIT } from './order-validation.service.js';

/** The downstream systems of an order, faked inside the app. */
export const ORDER_FAKE_SERVICES = [
  OrderSimulations,
  OrderValidationService,
  ReserveInventoryService,
  ReleaseInventoryService,
  ChargePaymentService,
  RefundPaymentService,
  ShippingService,
];
