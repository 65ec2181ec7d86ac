export interface OrderItem {
  sku: string;
  qty: number;
}

/** Failures a demo order asks the fake services to produce. */
export interface OrderSimulation {
  inventory?: 'unavailable';
  payment?: 'decline' | 'timeout';
  shipping?: 'fail';
  /** The order fulfilment throws when it completes, until the delivery is dead-lettered. */
  completion?: 'crash';
}
