/**
 * Form bodies as Go's `http.Request.FormValue` reads them for InfluxDB 1.x's `/query`:
 * `application/x-www-form-urlencoded`, and `multipart/form-data`, whose `q` may also be an
 * uploaded file (`curl -F q=@queries.txt`, as 1.x's documentation shows). A multipart body that
 * cannot be read gives no values, as in Go (the request then lacks its parameters).
 */

/** A form's fields (first value of each name) and uploaded files (first file of each name). */
export interface FormBody {
  values: Map<string, string>;
  files: Map<string, Buffer>;
  /**
   * Whether the body's values come before the URL's: true for an urlencoded body (Go's ParseForm
   * puts them first), false for multipart (ParseMultipartForm appends them after the URL's).
   */
  beforeUrl: boolean;
}

const EMPTY: FormBody = { values: new Map(), files: new Map(), beforeUrl: false };

/** The media type and parameters of a Content-Type header (names lower-cased, quotes removed). */
function mediaType(header: string): { type: string; params: Map<string, string> } {
  const [type, ...rest] = header.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    params.set(p.slice(0, eq).trim().toLowerCase(), v);
  }
  return { type: (type ?? '').trim().toLowerCase(), params };
}

/** Whether a request with this Content-Type carries a form Go would read. */
export function isFormContentType(header: string | undefined): boolean {
  const { type } = mediaType(header ?? '');
  return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
}

/** Reads a form body of either kind. */
export function parseFormBody(body: Buffer, contentType: string): FormBody {
  const { type, params } = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded') {
    const values = new Map<string, string>();
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) if (!values.has(k)) values.set(k, v);
    return { values, files: new Map(), beforeUrl: true };
  }
  const boundary = params.get('boundary');
  if (type !== 'multipart/form-data' || boundary === undefined || boundary === '') return EMPTY;
  return parseMultipart(body, boundary) ?? EMPTY;
}

/** The parts of a multipart body, or undefined when it is malformed. */
function parseMultipart(body: Buffer, boundary: string): FormBody | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  const out: FormBody = { values: new Map(), files: new Map(), beforeUrl: false };
  let pos = body.indexOf(delimiter);
  if (pos < 0) return undefined;
  pos += delimiter.length;
  for (;;) {
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return out; // the closing `--boundary--`
    // The rest of the boundary line (transport padding), then the part's headers.
    const lineEnd = body.indexOf('\r\n', pos);
    if (lineEnd < 0) return undefined;
    const headersEnd = body.indexOf('\r\n\r\n', lineEnd);
    if (headersEnd < 0) return undefined;
    const headers = body.subarray(lineEnd + 2, headersEnd).toString('utf8');
    const end = body.indexOf(next, headersEnd + 4);
    if (end < 0) return undefined;
    const content = body.subarray(headersEnd + 4, end);
    const disposition = /^content-disposition:(.*)$/im.exec(headers);
    if (disposition !== null) {
      const { type, params } = mediaType(disposition[1]!);
      const name = params.get('name');
      if (type === 'form-data' && name !== undefined) {
        if (params.has('filename')) {
          if (!out.files.has(name)) out.files.set(name, Buffer.from(content));
        } else if (!out.values.has(name)) out.values.set(name, content.toString('utf8'));
      }
    }
    pos = end + next.length;
  }
}
