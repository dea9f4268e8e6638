export { type Clock, type TimerHandle, SystemClock, SimClock, drainMicrotasks } from './clock.js';
export { type Rng, SystemRng, SeededRng, testSeed } from './rng.js';
export { type Fs, type FsFileHandle, type FsStat, NodeFs, hasErrorCode } from './fs.js';
export { SimFs, type SimFsOp } from './sim-fs.js';
