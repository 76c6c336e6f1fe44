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
