/** `/health`, `/ping` and `/metrics`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json } from './http-error.js';
import { SLUICE_VERSION, type SluiceServer } from './http.js';

export function health(server: SluiceServer, _req: IncomingMessage, res: ServerResponse): void {
  const starting = server.notReady;
  if (starting !== undefined) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1' });
    res.end(`starting: ${starting}`);
    return;
  }
  const trouble = server.walTrouble();
  if (trouble !== undefined) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`unhealthy: ${trouble}`);
    return;
  }
  const wal = server.db.wal.health();
  const snapshots = server.db.persister.stats;
  // Failing snapshot puts do not endanger acknowledged writes (the WAL keeps them), but the
  // buffer and the WAL grow until they succeed: say so.
  const notes: string[] = [];
  // A query node's WAL is its replication: its trouble is a poll failing or a node not followed.
  if (wal.state === 'degraded') notes.push(server.db.followers.length > 0 || server.db.discovery !== undefined ? (wal.lastError ?? 'replication degraded') : `${wal.consecutivePutFailures} failed WAL puts in a row, retrying`);
  if (snapshots.permanentPutError !== undefined) notes.push(`snapshots refused by the object store: ${snapshots.permanentPutError} (the WAL keeps every write; fix the store's permissions and restart)`);
  else if (snapshots.consecutivePutFailures > 0) notes.push(`${snapshots.consecutivePutFailures} failed snapshot puts in a row, retrying${snapshots.lastPutError === undefined ? '' : ` (${snapshots.lastPutError})`}`);
  // A query node: where it is in each ingest node's WAL.
  const followed = server.db.followers.map((f) => {
    const s = f.status();
    return `${f.nodeId} at WAL file ${s.appliedWalFile} of ${s.newestWalFile}, lag ${s.lagSeconds.toFixed(1)} s`;
  });
  const replication = followed.length > 0 ? ` (replica of ${followed.join('; ')})` : '';
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(notes.length > 0 ? `OK (degraded: ${notes.join('; ')})${replication}` : `OK${replication}`);
}

export function ping(_server: SluiceServer, _req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'X-Influxdb-Build': 'Sluice',
    'X-Influxdb-Version': SLUICE_VERSION,
  });
  res.end(json({ product_name: 'Sluice', version: SLUICE_VERSION, revision: '', process_id: String(process.pid) }));
}

export function metrics(server: SluiceServer, _req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  res.end(server.metrics.render());
}
