/**
 * What the server does with a request its HTTP parser refuses (a malformed request line, header
 * or chunk; headers too large; a request not in by the headers timeout). Node's default answers
 * it and destroys the connection at once — also when the connection is still streaming the
 * answer to an earlier, complete request pipelined before it, which the client then gets cut off
 * in the middle. Here the answer to a request received whole is let finish first (within a
 * bound): a client that pipelined a query and then garbage gets its query's whole answer, then
 * the close. A request still waiting for its body, or nothing under way: refused as Node does.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long an answer under way may still take once a later request was refused. */
const FINISH_BOUND_MS = 10_000;

const REFUSALS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
};

const closing = new WeakSet<Socket>();

export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // The parser reports every later chunk of the connection again: the first report decides.
  if (closing.has(socket)) return;
  closing.add(socket);
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  // Only the answer to a request received whole: one still waiting for its body never gets the
  // rest (the parser has stopped), so it goes with the connection at once, its resources with it.
  if (inFlight != null && inFlight.req.complete && !inFlight.writableFinished && !socket.destroyed) {
    const timer = setTimeout(() => socket.destroy(), FINISH_BOUND_MS);
    socket.once('close', () => clearTimeout(timer));
    // Its last bytes are flushed before the FIN; a client that stops reading meets the bound.
    inFlight.once('finish', () => socket.end());
    return;
  }
  if (socket.writable && (inFlight == null || !inFlight.headersSent)) {
    socket.write(`HTTP/1.1 ${REFUSALS[err.code ?? ''] ?? '400 Bad Request'}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy();
}
