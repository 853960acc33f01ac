import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';

export type FaultAction =
  /** Answer without forwarding. */
  | { status: number; headers?: Record<string, string>; body?: string }
  /** Destroy the client socket without forwarding. */
  | { drop: 'before-forward' }
  /** Forward fully (the target really processes it), then destroy the client socket without answering. */
  | { drop: 'after-forward' }
  /** Wait, then forward. */
  | { delayMs: number }
  /** Hold the request until `until` settles, then forward it: the test, not the clock, orders what happens. */
  | { until: Promise<unknown> };

export interface FaultRule {
  /** Matched case-insensitively; any method when absent. */
  method?: string;
  /** Tested against the request path without the query string. */
  path: RegExp;
  /** Tested against the query string (without "?"; "" when none), e.g. `/digest=sha256:abc/` for one blob upload. */
  query?: RegExp;
  action: FaultAction;
  /** How many requests the rule applies to; every matching request when absent. */
  times?: number;
}

export interface ProxyLogEntry {
  method: string;
  /** Without the query string. */
  path: string;
  /** What the client got: the target's status, or the rule's; absent when the client got no answer. */
  status?: number;
  /** The rule's action, e.g. `status 503`, `drop before-forward`, `delay 500ms`; or `upstream error: …`. */
  fault?: string;
  /** When the request arrived (epoch ms). */
  at: number;
  /** The client hung up before it had its answer (e.g. while the request was held). */
  clientGone?: boolean;
}

interface ActiveRule {
  rule: FaultRule;
  hits: number;
}

// Per-connection headers that must not be copied between the two hops.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEndHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

function faultLabel(action: FaultAction): string {
  if ('status' in action) return `status ${action.status}`;
  if ('drop' in action) return `drop ${action.drop}`;
  if ('until' in action) return 'hold';
  return `delay ${action.delayMs}ms`;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of one target (a registry) that forwards every request unchanged
 * (Host included, so the target's Location headers point back at the proxy) unless a fault rule matches.
 */
export class FaultProxy {
  readonly host: string;
  readonly url: string;
  private readonly target: URL;
  private readonly server: Server;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly sockets = new Set<Socket>();
  private readonly delays = new Set<NodeJS.Timeout>();
  private readonly rules: ActiveRule[] = [];
  private readonly entries: ProxyLogEntry[] = [];

  private constructor(server: Server, port: number, target: URL) {
    this.server = server;
    this.host = `127.0.0.1:${port}`;
    this.url = `http://${this.host}`;
    this.target = target;
  }

  static async start(targetUrl: string): Promise<FaultProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    const proxy = new FaultProxy(server, address.port, new URL(targetUrl));
    server.on('connection', (socket: Socket) => {
      proxy.sockets.add(socket);
      socket.on('close', () => proxy.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => proxy.handle(req, res));
    return proxy;
  }

  /** Rules apply in order; the first matching rule with times left wins. */
  addRule(rule: FaultRule): { readonly hits: number } {
    const active: ActiveRule = { rule, hits: 0 };
    this.rules.push(active);
    return {
      get hits() {
        return active.hits;
      },
    };
  }

  clearRules(): void {
    this.rules.length = 0;
  }

  /** Every request seen, in arrival order, with what happened to it. */
  get log(): readonly ProxyLogEntry[] {
    return this.entries;
  }

  clearLog(): void {
    this.entries.length = 0;
  }

  /** Closes the server and every open socket, to clients and to the target. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const timer of this.delays) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await closed;
  }

  private matchRule(method: string, path: string, query: string): ActiveRule | undefined {
    const active = this.rules.find(
      ({ rule, hits }) =>
        (rule.method === undefined || rule.method.toUpperCase() === method) &&
        path.search(rule.path) !== -1 && // unlike test(), ignores a /g regex's lastIndex
        (rule.query === undefined || query.search(rule.query) !== -1) &&
        (rule.times === undefined || hits < rule.times),
    );
    if (active !== undefined) active.hits += 1;
    return active;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
    const entry: ProxyLogEntry = { method, path, at: Date.now() };
    this.entries.push(entry);
    const action = this.matchRule(method, path, query)?.rule.action;
    if (action !== undefined) entry.fault = faultLabel(action);

    if (action === undefined) return this.forward(req, res, entry);
    if ('status' in action) {
      // Read the body first, as a server would, so the client is not cut off mid-upload.
      req.resume();
      req.on('end', () => {
        entry.status = action.status;
        res.writeHead(action.status, action.headers);
        res.end(action.body);
      });
      return;
    }
    if ('until' in action) {
      res.on('close', () => {
        if (!res.writableFinished) entry.clientGone = true;
      });
      const release = () => {
        if (!entry.clientGone) this.forward(req, res, entry);
      };
      action.until.then(release, release);
      return;
    }
    if ('delayMs' in action) {
      const timer = setTimeout(() => {
        this.delays.delete(timer);
        this.forward(req, res, entry);
      }, action.delayMs);
      this.delays.add(timer);
      return;
    }
    if (action.drop === 'before-forward') {
      req.socket.destroy();
      return;
    }
    this.forward(req, res, entry, { dropAnswer: true });
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    entry: ProxyLogEntry,
    { dropAnswer = false } = {},
  ): void {
    const upstream = httpRequest(
      {
        protocol: this.target.protocol,
        hostname: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: endToEndHeaders(req.headers),
        agent: this.agent,
      },
      (answer) => {
        if (dropAnswer) {
          // Let the target finish its answer (it has processed the request), then hang up on the client.
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        entry.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, endToEndHeaders(answer.headers));
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (error) => {
      entry.fault = `${entry.fault ? `${entry.fault}; ` : ''}upstream error: ${error.message}`;
      if (res.headersSent || dropAnswer) {
        res.destroy();
      } else {
        entry.status = 502;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: upstream error: ${error.message}\n`);
      }
    });
    // The client went away before its answer was complete: stop talking to the target for it.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}
