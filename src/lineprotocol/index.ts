export { LineProtocolError, type LineErrorKind, EXCERPT_BYTES } from './errors.js';
export { LineProtocolParser, ParsedLine, parseLines, type LineSink, type ParseOptions, type Point, type FieldValueKind } from './parser.js';
export { serializePoint, serializePoints } from './serializer.js';
