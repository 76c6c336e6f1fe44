/**
 * Fake instances, a manual clock and seeded randomness for testing code built on switchyard.
 *
 * @module switchyard/testing
 */
export {
  fakeInstances,
  FakeInstanceError,
  type FakeInstances,
  type FakeInstancesOptions,
  type FakeLatency,
  type FakeResult,
  type FakeStats,
} from './fakeInstances.js';
export { createManualClock, type ManualClock } from './manualClock.js';
export { seededRandom } from './seededRandom.js';
