import { describeFailureStore } from './failure-store.contract.js';
import { describeOperatorStore } from './operator-store.contract.js';
import { describeOutboxStore } from './outbox-store.contract.js';
import { describeProcessControl } from './process-control.contract.js';
import { describeRetentionStore } from './retention-store.contract.js';
import { describeHealthQueries } from './health-queries.contract.js';
import { describeTelemetryQueries } from './telemetry-queries.contract.js';
import { describeProcessQueries } from './process-queries.contract.js';
import { describeStepStore } from './step-store.contract.js';
import { postgresStore } from './store-under-test.js';
import { describeTimerStore } from './timer-store.contract.js';

const open = postgresStore({ batching: { enabled: false, maxSize: 1 } });

describeStepStore('PostgreSQL', open);
describeOutboxStore('PostgreSQL', open);
describeTimerStore('PostgreSQL', open);
describeFailureStore('PostgreSQL', open);
describeProcessQueries('PostgreSQL', open);
describeProcessControl('PostgreSQL', open);
describeOperatorStore('PostgreSQL', open);
describeRetentionStore('PostgreSQL', open);
describeHealthQueries('PostgreSQL', open);
describeTelemetryQueries('PostgreSQL', open);
