/**
 * One port, two protocols: a connection that opens with the HTTP/2 client preface (`PRI *
 * HTTP/2.0`, as gRPC clients send over cleartext with prior knowledge) goes to the gRPC (Flight)
 * service, every other to the HTTP/1.1 server. The first bytes are read, put back, and the socket
 * handed over; a connection that does not say which within `firstBytesTimeoutMs`, or closes
 * first, is closed.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface Http2Target {
  inject(connection: Duplex): void;
}

/** Whether `bytes` (the first a client sent) begin the HTTP/2 preface; undefined while too few to tell. */
export function isHttp2Preface(bytes: Buffer): boolean | undefined {
  const n = Math.min(bytes.length, PREFACE.length);
  if (!bytes.subarray(0, n).equals(PREFACE.subarray(0, n))) return false;
  return n === PREFACE.length ? true : undefined;
}

export interface DualListener {
  readonly server: NetServer;
  /** Closes the connections that have not yet said which protocol they speak (on shutdown: nothing is lost). */
  destroyUndecided(): void;
}

export function createDualListener(http: HttpServer, http2: () => Http2Target | undefined, firstBytesTimeoutMs: number): DualListener {
  const undecided = new Set<Socket>();
  const server = createServer({ noDelay: true }, (socket) => route(socket, http, http2, firstBytesTimeoutMs, undecided));
  return {
    server,
    destroyUndecided: () => {
      for (const socket of undecided) socket.destroy();
      undecided.clear();
    },
  };
}

function route(socket: Socket, http: HttpServer, http2: () => Http2Target | undefined, timeoutMs: number, undecided: Set<Socket>): void {
  let seen: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), timeoutMs);
  undecided.add(socket);
  const cleanup = () => {
    undecided.delete(socket);
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('end', onEnd);
  };
  const handTo = (h2: boolean) => {
    cleanup();
    socket.pause();
    socket.unshift(seen);
    const target = h2 ? http2() : undefined;
    if (target !== undefined) target.inject(socket);
    else {
      http.emit('connection', socket);
      socket.resume();
    }
  };
  const onData = (chunk: Buffer) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const h2 = isHttp2Preface(seen);
    if (h2 !== undefined) handTo(h2);
  };
  const onError = () => {
    cleanup();
    socket.destroy();
  };
  // A client that closed before its first bytes said which protocol: nothing to answer.
  const onEnd = () => {
    cleanup();
    socket.destroy();
  };
  socket.on('data', onData);
  socket.on('error', onError);
  socket.on('end', onEnd);
}
