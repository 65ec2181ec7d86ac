export { VirtualClock } from './virtual-clock.js';
export { ProcessTestFixture, type ProcessTestFixtureOptions } from './process-test-fixture.js';
export { InMemoryProcessStore } from '../memory/in-memory-process.store.js';
