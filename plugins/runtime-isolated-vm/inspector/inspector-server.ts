import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type ivm from 'isolated-vm';
import { ChaincodeError } from '../../../core/errors';
import { relaySession } from './session-relay';
import { WebSocketConnection } from './websocket-connection';

/** One debuggable sandbox, as the server lists it and connects DevTools to it. */
export interface InspectorTarget {
  readonly title: string;
  /** The chaincode script's URL, as `Debugger.scriptParsed` names it. */
  readonly url: string;
  /** A new DevTools Protocol session on the target's isolate; throws if the sandbox cannot load it. */
  openSession(): ivm.InspectorSession;
}

/** What registering a target gives back to its sandbox. */
export interface RegisteredTarget {
  readonly id: string;
  /** Ends the DevTools connections: their sessions died with the isolate (the client reconnects to a new one). */
  disconnectAll(): void;
  /** Takes the target off the list and ends its connections (the package was uninstalled). */
  remove(): void;
}

interface Entry {
  readonly target: InspectorTarget;
  readonly sockets: Set<WebSocketConnection>;
}

export interface InspectorServerOptions {
  readonly host: string;
  readonly port: number;
}

/** True for a Host header naming this machine or an IP: Node's inspector refuses others, against DNS rebinding. */
function trustedHost(header: string | undefined): boolean {
  if (header === undefined) return false;
  const name = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.replace(/:\d+$/, '');
  return name === 'localhost' || name.endsWith('.localhost') || isIP(name) !== 0;
}

/**
 * The DevTools endpoint of a debugging runtime: Node's inspector HTTP discovery (`/json/list`,
 * `/json/version`) so that `chrome://inspect` and VS Code's "attach" find the chaincodes, and a
 * WebSocket per target relaying the Chrome DevTools Protocol to the sandbox's isolate. Targets are
 * listed newest first: a client attaching to the port without choosing (VS Code) gets the chaincode
 * installed last, the one a redeploy loop just built.
 */
export class InspectorServer {
  private readonly targets = new Map<string, Entry>();
  private readonly server: http.Server;
  private readonly listening: Promise<AddressInfo>;

  constructor(private readonly options: InspectorServerOptions) {
    this.server = http.createServer((req, res) => this.answer(req, res));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => this.upgrade(req, socket));
    this.listening = new Promise((resolve, reject) => {
      this.server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new ChaincodeError('RUNTIME_INSPECTOR_LISTEN', `chaincode debugging could not listen on ${options.host}:${options.port}: ${err.message}`, {
            field: 'plugins.runtime.options.inspector.port',
            host: options.host,
            port: options.port,
            suggestions: ['choose another inspector port, or stop what holds this one (a node --inspect process uses 9229)'],
          }),
        ),
      );
      this.server.listen(options.port, options.host, () => resolve(this.server.address() as AddressInfo));
    });
    // Reported to whoever awaits `address()`; unobserved, a refused port must not crash the peer.
    this.listening.catch(() => undefined);
  }

  /** Where the server listens (the port the OS chose when `port` was 0); rejects `RUNTIME_INSPECTOR_LISTEN`. */
  address(): Promise<AddressInfo> {
    return this.listening;
  }

  register(target: InspectorTarget): RegisteredTarget {
    const id = randomUUID();
    const entry: Entry = { target, sockets: new Set() };
    this.targets.set(id, entry);
    const disconnectAll = (): void => {
      for (const socket of [...entry.sockets]) socket.close();
    };
    return {
      id,
      disconnectAll,
      remove: () => {
        this.targets.delete(id);
        disconnectAll();
      },
    };
  }

  /** The targets as `/json/list` answers them, for a request that reached us at `host`. */
  list(host: string): Record<string, string>[] {
    return [...this.targets]
      .reverse()
      .map(([id, { target }]) => ({
        description: 'Weft chaincode sandbox (isolated-vm)',
        devtoolsFrontendUrl: `devtools://devtools/bundled/js_app.html?experiments=true&v8only=true&ws=${host}/${id}`,
        devtoolsFrontendUrlCompat: `devtools://devtools/bundled/inspector.html?experiments=true&v8only=true&ws=${host}/${id}`,
        faviconUrl: 'https://nodejs.org/static/images/favicons/favicon.ico',
        id,
        title: target.title,
        type: 'node',
        url: target.url,
        webSocketDebuggerUrl: `ws://${host}/${id}`,
      }));
  }

  async close(): Promise<void> {
    for (const { sockets } of this.targets.values()) for (const socket of [...sockets]) socket.close();
    this.targets.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Kept-alive `/json/list` connections would hold `close` open until they time out.
    this.server.closeAllConnections();
    await closed;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!trustedHost(req.headers.host)) return void res.writeHead(400).end('Host header is not an IP address or localhost');
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    let body: unknown;
    if (path === '/json' || path === '/json/list') body = this.list(req.headers.host as string);
    else if (path === '/json/version') body = { Browser: 'Weft chaincode runtime', 'Protocol-Version': '1.1' };
    else return void res.writeHead(404).end(`unknown path ${path}: try /json/list`);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body, undefined, 2));
  }

  private upgrade(req: http.IncomingMessage, socket: Duplex): void {
    const entry = this.targets.get((req.url ?? '').replace(/^\//, ''));
    if (entry === undefined || !trustedHost(req.headers.host)) return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    let session: ivm.InspectorSession;
    try {
      session = entry.target.openSession();
    } catch (err) {
      return void socket.end(`HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n${(err as Error).message}`);
    }
    const ws = WebSocketConnection.accept(req, socket);
    if (ws === undefined) return session.dispose();
    entry.sockets.add(ws);
    relaySession(session, ws, () => entry.sockets.delete(ws));
  }
}
