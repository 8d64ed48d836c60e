// The simulator as its own process: shared with the benchmarks, so it lives in loadtest/.
export { startChildSdrSim, type ChildSdrSim } from '../../loadtest/sdr-sim/child.js';
