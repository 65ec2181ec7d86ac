import { describeFailureStore } from './failure-store.contract.js';
import { describeOperatorStore } from './operator-store.contract.js';
import { describeOutboxStore } from './outbox-store.contract.js';
import { describeProcessControl } from './process-control.contract.js';
import { describeRetentionStore } from './retention-store.contract.js';
import { describeHealthQueries } from './health-queries.contract.js';
import { describeTelemetryQueries } from './telemetry-queries.contract.js';
import { describeProcessQueries } from './process-queries.contract.js';
import { describeStepStore } from './step-store.contract.js';
import { memoryStore } from './store-under-test.js';
import { describeTimerStore } from './timer-store.contract.js';

const open = memoryStore();

describeStepStore('memory', open);
describeOutboxStore('memory', open);
describeTimerStore('memory', open);
describeFailureStore('memory', open);
describeProcessQueries('memory', open);
describeProcessControl('memory', open);
describeOperatorStore('memory', open);
describeRetentionStore('memory', open);
describeHealthQueries('memory', open);
describeTelemetryQueries('memory', open);
