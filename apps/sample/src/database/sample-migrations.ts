import { CreateDocumentsAndReports1763800002000 } from '../documents/migrations/1763800002000-create-documents-and-reports.js';
import { CreateFakeServiceRequests1763800000000 } from '../downstream/migrations/1763800000000-create-fake-service-requests.js';
import { CreateGroupCheckouts1763800003000 } from '../group-checkout/migrations/1763800003000-create-group-checkouts.js';
import { CreateNotifications1763800004000 } from '../notifications/migrations/1763800004000-create-notifications.js';
import { CreateOrders1763800001000 } from '../orders/migrations/1763800001000-create-orders.js';

/** The sample's own tables, after the library's (`PROCESS_MANAGER_MIGRATIONS`). */
export const SAMPLE_MIGRATIONS = [
  CreateFakeServiceRequests1763800000000,
  CreateOrders1763800001000,
  CreateDocumentsAndReports1763800002000,
  CreateGroupCheckouts1763800003000,
  CreateNotifications1763800004000,
];
