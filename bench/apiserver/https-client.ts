/**
 * The load generator's client: node:https over keep-alive sockets, bodies as text, timings
 * taken in this process (performance.now()). Deliberately thin, so the figures are the
 * server's and not a client library's.
 */
import https from 'node:https';

export interface Response {
  status: number;
  body: string;
  /** performance.now() when the request was handed to the socket layer. */
  sentAt: number;
  /** performance.now() when the last byte of the body arrived. */
  doneAt: number;
}

export interface RequestOptions {
  body?: string;
  contentType?: string;
  accept?: string;
}

/** One watch stream: calls onLine for every newline-terminated event as it arrives. */
export interface WatchStream {
  /** Resolves when the response headers arrived (the server has registered the watch). */
  ready: Promise<void>;
  close(): void;
}

export class HttpsClient {
  readonly agent: https.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    url: string,
    private readonly ca: string,
    private readonly token: string,
    /** Sockets kept open to the server: at least the number of concurrent requests. */
    maxSockets: number,
  ) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new https.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, ca });
  }

  request(method: string, path: string, o: RequestOptions = {}): Promise<Response> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { Authorization: `Bearer ${this.token}`, Accept: o.accept ?? 'application/json' };
      if (o.body !== undefined) {
        headers['Content-Type'] = o.contentType ?? 'application/json';
        headers['Content-Length'] = Buffer.byteLength(o.body);
      }
      const sentAt = performance.now();
      const req = https.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sentAt, doneAt: performance.now() }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(o.body);
    });
  }

  /** request() that fails on a status other than `expect`. */
  async must(method: string, path: string, expect: number, o: RequestOptions = {}): Promise<Response> {
    const r = await this.request(method, path, o);
    if (r.status !== expect) throw new Error(`${method} ${path}: HTTP ${r.status} (expected ${expect}): ${r.body.slice(0, 300)}`);
    return r;
  }

  /** Opens a watch (GET path with watch=true); onLine gets each event line and its arrival time. */
  watch(path: string, onLine: (line: string) => void): WatchStream {
    let req: ReturnType<typeof https.request> | undefined;
    const ready = new Promise<void>((resolve, reject) => {
      req = https.request(
        { host: this.host, port: this.port, method: 'GET', path, headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' }, agent: this.agent },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
            res.resume();
            return;
          }
          res.setEncoding('utf8');
          let buf = '';
          res.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (line) onLine(line);
            }
          });
          res.on('error', () => undefined); // a closed watch ends with ECONNRESET/aborted: expected
          resolve();
        },
      );
      req.on('error', (err) => reject(err));
      req.end();
    });
    ready.catch(() => undefined);
    return { ready, close: () => req?.destroy() };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Runs `task(i)` for i in [0, total) with `concurrency` workers; resolves when all are done. */
export async function runConcurrent(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
}
