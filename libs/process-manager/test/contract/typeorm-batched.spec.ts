import { describe, expect, it, jest } from '@jest/globals';
import type { Decision } from '../../src/engine/decision.js';
import { TypeOrmProcessStore } from '../../src/typeorm/typeorm-process.store.js';
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

/** Every commit goes through BATCH_STEP_SQL, even a lone one (`maxConcurrent: 0`). */
const open = postgresStore({ batching: { enabled: true, maxSize: 64, maxConcurrent: 0 } });

const statements = TypeOrmProcessStore.prototype as unknown as {
  commitStep(decision: Decision): Promise<void>;
  commitSteps(decisions: Decision[]): Promise<Set<string>>;
};
const batches = jest.spyOn(statements, 'commitSteps');
const singles = jest.spyOn(statements, 'commitStep');

describeStepStore('PostgreSQL, batched', open);
describeOutboxStore('PostgreSQL, batched', open);
describeTimerStore('PostgreSQL, batched', open);
describeFailureStore('PostgreSQL, batched', open);
describeProcessQueries('PostgreSQL, batched', open);
describeProcessControl('PostgreSQL, batched', open);
describeOperatorStore('PostgreSQL, batched', open);
describeRetentionStore('PostgreSQL, batched', open);
describeHealthQueries('PostgreSQL, batched', open);
describeTelemetryQueries('PostgreSQL, batched', open);

describe('the batched run', () => {
  it('sent the commits through the batch statement, several decisions at a time under load', () => {
    expect(batches.mock.calls.length).toBeGreaterThan(100);
    expect(batches.mock.calls.some(([decisions]) => decisions.length > 1)).toBe(true);
    // A batch statement that fails as a whole (a duplicate outbox id) is retried one decision at a time.
    expect(singles.mock.calls.length).toBeLessThan(5);
  });
});
