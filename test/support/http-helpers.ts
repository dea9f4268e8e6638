/** HTTP test helpers: a server on a temp database, and requests with no client library in the way. */
import { request } from 'node:http';
import { connect } from 'node:net';
import { SluiceServer, type ServerOptions } from '../../src/server/http.js';
import { TokenStore } from '../../src/server/auth.js';
import type { OpenDatabaseOptions } from '../../src/database/database.js';
import { tempDatabase } from './db-helpers.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

/** One HTTP request on loopback (no client library in the way). */
export function send(port: number, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      // A connection cut mid-answer (a streamed answer that failed) rejects.
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('aborted: the connection closed mid-answer')));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body: b, text: b.toString('utf8') });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A SluiceServer on a temp-dir database, on a free loopback port. */
export async function startServer(options: Partial<OpenDatabaseOptions> = {}, serverOptions: Partial<ServerOptions> & { withTokens?: boolean } = {}) {
  const env = await tempDatabase(options);
  const tokens = serverOptions.withTokens === true ? await TokenStore.open(env.store, 'node1') : undefined;
  const token = tokens === undefined ? undefined : await tokens.create('_admin', true);
  const { withTokens: _w, ...rest } = serverOptions;
  const server = new SluiceServer({ db: env.db, tokens, ...rest });
  const { port } = await server.listen('127.0.0.1', 0);
  return {
    ...env,
    port,
    server,
    token,
    stop: async () => {
      await server.close();
      await env.cleanup();
    },
  };
}

/** Sends raw bytes on a fresh connection; resolves with everything the server sent until it closed (or `waitMs` passed). */
export function sendRaw(port: number, bytes: Buffer | string, waitMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(bytes);
  });
}
