/**
 * The simulated ADS clients' transport: gRPC bidirectional streams spoken directly over
 * node:http2 (a POST with content-type application/grpc; messages framed as a flag byte and a
 * 4-byte length; the status in the trailers). An Envoy is C++ on a core of its own; a thousand
 * simulated ones share this process and the machine's two cores with the control plane, so the
 * harness must cost as little as it can. grpc-js's client adds its call, interceptor and decoder
 * layers to every message, and on two shared cores whatever the clients spend, the server under
 * test waits for.
 *
 * Messages are whole Buffers (a message spanning DATA frames is joined once; one inside a frame
 * is a view of it). Only what the benchmark needs: no compression, no deadlines, no metadata.
 */
import http2 from 'node:http2';

export interface GrpcStreamHandlers {
  message(msg: Buffer): void;
  /** The stream ended with a non-OK status, or its transport failed (not after cancel()). */
  error(message: string): void;
}

export class GrpcHttp2Stream {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the message being read; -1 while its 5-byte prefix is not complete. */
  private need = -1;
  private cancelled = false;

  constructor(
    private readonly req: http2.ClientHttp2Stream,
    private readonly on: GrpcStreamHandlers,
  ) {
    req.on('data', (chunk: Buffer) => this.data(chunk));
    const status = (headers: http2.IncomingHttpHeaders): void => {
      const code = headers['grpc-status'];
      if (code !== undefined && code !== '0' && !this.cancelled) this.on.error(`grpc-status ${String(code)}: ${String(headers['grpc-message'] ?? '')}`);
    };
    req.on('response', status);
    req.on('trailers', status);
    req.on('error', (err: Error) => {
      if (!this.cancelled) this.on.error(err.message);
    });
  }

  write(msg: Buffer): void {
    const framed = Buffer.allocUnsafe(msg.length + 5);
    framed[0] = 0;
    framed.writeUInt32BE(msg.length, 1);
    msg.copy(framed, 5);
    this.req.write(framed);
  }

  cancel(): void {
    this.cancelled = true;
    this.req.close(http2.constants.NGHTTP2_CANCEL);
  }

  private data(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 5) return;
        const prefix = this.take(5);
        if (prefix[0] !== 0) {
          this.on.error('a compressed message arrived; this client asks for none');
          this.cancel();
          return;
        }
        this.need = prefix.readUInt32BE(1);
      }
      if (this.buffered < this.need) return;
      const msg = this.take(this.need);
      this.need = -1;
      this.on.message(msg);
    }
  }

  /** The next n buffered bytes: a view when they lie in one chunk, else joined. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}

/** One HTTP/2 connection carrying gRPC streams. */
export class GrpcHttp2Connection {
  private readonly session: http2.ClientHttp2Session;

  /** `window`: the stream and connection flow-control windows the client grants (bytes). */
  constructor(port: number, window: number, onError: (message: string) => void) {
    this.session = http2.connect(`http://127.0.0.1:${port}`, { settings: { initialWindowSize: window } });
    this.session.on('connect', () => this.session.setLocalWindowSize(window));
    this.session.on('error', (err) => onError(`connection: ${err.message}`));
  }

  stream(path: string, on: GrpcStreamHandlers): GrpcHttp2Stream {
    const req = this.session.request(
      { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', 'grpc-accept-encoding': 'identity' },
      { endStream: false },
    );
    return new GrpcHttp2Stream(req, on);
  }

  close(): void {
    this.session.close();
  }
}
