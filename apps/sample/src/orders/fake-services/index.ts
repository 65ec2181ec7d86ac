import { OrderSimulations } from './order-simulations.js';
import { OrderValidationService } from './order-validation.service.js';
import { ChargePaymentService, RefundPaymentService } from './payment-provider.service.js';
import { ShippingService } from './shipping.service.js';
import { FixSimulatedCrashOnDeadLetter, SimulatedCrashes } from './simulated-crashes.js';
import { ReleaseInventoryService, ReserveInventoryService } from './warehouse.service.js';

export { CREDIT_LIMIT } from './order-validation.service.js';
export { SimulatedCrashes } from './simulated-crashes.js';

/** The downstream systems of an order, faked inside the app, and the bug of the dead-letter demo. */
export const ORDER_FAKE_SERVICES = [
  OrderSimulations,
  OrderValidationService,
  ReserveInventoryService,
  ReleaseInventoryService,
  ChargePaymentService,
  RefundPaymentService,
  ShippingService,
  SimulatedCrashes,
  FixSimulatedCrashOnDeadLetter,
];
