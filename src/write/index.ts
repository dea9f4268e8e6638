export { LineProtocolWriter, type WriteLpOptions, type WriteLpResult } from './write-lp.js';
export { validateLineProtocol, type ValidateOptions, type ValidatedWrite } from './validator.js';
export { WriteError, type WriteErrorCode, type WriteLineError } from './errors.js';
export { parsePrecision, guessPrecision, timestampToNs, defaultTimeNs, type Precision } from './precision.js';
