/**
 * Which HTTP layer for the write path: `node:http` against Fastify, both reading a POST body and
 * answering 204, driven by 16 keep-alive clients in the same process (2 cores shared: compare
 * the two, not the absolute figures). Bodies: one small line, and a 5 000-line TSBS batch.
 */
import { createServer, request, Agent, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type { Bench, BenchResult } from './harness.js';
import { tsbsCpuLines } from './tsbs.js';
import { readBodyInto } from '../src/server/body.js';

const CONCURRENCY = 16;
const DURATION_MS = Number(process.env.BENCH_HTTP_MS ?? 3000);

async function drive(port: number, body: Buffer): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let done = 0;
  const deadline = performance.now() + DURATION_MS;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/v3/write_lp?db=bench', agent, headers: { 'Content-Length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await one();
        done++;
      }
    }),
  );
  agent.destroy();
  return (done * 1000) / DURATION_MS;
}

/** Reads a body the way the server does: 'data' events into one buffer sized by Content-Length. */
function readAll(req: IncomingMessage): Promise<Buffer> {
  return readBodyInto(req, Number(req.headers['content-length'] ?? NaN), { maxBytes: 10 * 1024 * 1024, deadlineMs: 60_000, minBytesPerSecond: 1024, rateGraceMs: 5_000 });
}

async function nodeHttp(body: Buffer): Promise<number> {
  let bytes = 0;
  const server = createServer((req, res) => {
    void readAll(req).then((b) => {
      bytes += b.length;
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    return await drive((server.address() as AddressInfo).port, body);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    void bytes;
  }
}

async function fastify(body: Buffer): Promise<number> {
  const app = Fastify({ bodyLimit: 10 * 1024 * 1024 });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, b, done) => done(null, b));
  app.post('/api/v3/write_lp', async (_req, reply) => reply.code(204).send());
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    return await drive((app.server.address() as AddressInfo).port, body);
  } finally {
    await app.close();
  }
}

const bench: Bench = {
  name: 'http',
  async run(): Promise<BenchResult[]> {
    const small = Buffer.from('cpu,host=a usage=0.5 1700000000000000000\n');
    const batch = Buffer.from(tsbsCpuLines(5000, 1000));
    const results: BenchResult[] = [];
    for (const [label, body] of [['1 line', small], ['5 000 TSBS lines', batch]] as const) {
      const n = await nodeHttp(body);
      const f = await fastify(body);
      const note = `${body.length} B bodies, ${CONCURRENCY} keep-alive clients in-process, ${DURATION_MS} ms`;
      results.push({ name: `node:http, ${label}`, value: n, unit: 'req/s', note });
      results.push({ name: `fastify 5, ${label}`, value: f, unit: 'req/s', note: `${note}; ${(f / n).toFixed(2)}× node:http` });
    }
    return results;
  },
};

export default bench;
