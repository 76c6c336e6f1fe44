/**
 * Fake instances, a manual clock and seeded randomness for testing code built on switchyard.
 *
 * @module switchyard/testing
 */
export {
  fakeInstances,
  FakeInstanceError,
  type FakeCall,
  type FakeInstances,
  type FakeInstancesOptions,
  type FakeResult,
  type FakeStats,
} from './fakeInstances.js';
export type { FakeFault, FakeFaultChance, FakeFaultPlan, FakeLatency, FakeRequestInfo } from './faults.js';
export {
  startFakeHttpFleet,
  startFakeHttpInstance,
  type FakeHttpFleet,
  type FakeHttpFleetOptions,
  type FakeHttpInstance,
  type FakeHttpInstanceOptions,
  type FakeHttpInstanceSpec,
  type FakeHttpRequest,
  type FakeHttpResult,
} from './fakeHttp.js';
export { createManualClock, type ManualClock } from './manualClock.js';
export { seededRandom } from './seededRandom.js';
