/**
 * Imported first by the `sluice` command, before anything can use Node's thread pool: the pool
 * (4 threads by default) runs both file I/O — the WAL's writes and fsyncs — and every call into
 * the SQL engine, so a few long queries could hold every thread and stall durable writes. More
 * threads than queries may hold keeps the WAL's I/O moving (queries are also admitted by count).
 */
if (process.env.UV_THREADPOOL_SIZE === undefined || process.env.UV_THREADPOOL_SIZE === '') process.env.UV_THREADPOOL_SIZE = '16';
export {};
