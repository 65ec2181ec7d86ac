export { VirtualClock } from './virtual-clock.js';
export {
  ProcessTestFixture,
  type ExpectedTimer,
  type ProcessTestFixtureOptions,
} from './process-test-fixture.js';
export { tick } from './tick.js';
export { PROCESS_MANAGER_JOBS } from '../scheduling/job-names.js';
