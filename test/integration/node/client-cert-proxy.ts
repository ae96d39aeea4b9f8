/**
 * A TLS man in the middle for client certificate tests: it ends the TLS of each connection (serving
 * a node's certificate, demanding a client certificate of the given CAs), records the certificate
 * the client presented, and relays the bytes (HTTP/2, so any gRPC service) to the real node over a
 * TLS connection of its own presenting that same certificate, whose key the test gave it. The real
 * node thus checks what it would check without the proxy, Deliver's TLS binding included.
 */
import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';

export interface ClientCertProxy {
  readonly port: number;
  /** The client certificate (DER) of each connection, in the order of their handshakes. */
  readonly presented: Buffer[];
  /** A certificate (PEM) and key the proxy may present upstream for a client that presents that certificate. */
  know(cert: Buffer, key: Buffer): void;
  /** Cuts every connection, as a node going away would: clients reconnect with a new handshake. */
  dropConnections(): void;
  close(): Promise<void>;
}

export interface ClientCertProxyOptions {
  /** The certificate and key (PEM) served to clients: the real node's. */
  readonly serve: { readonly cert: Buffer; readonly key: Buffer };
  /** CAs the clients' certificates must chain to. */
  readonly clientCas: readonly Buffer[];
  /** The real node, its TLS CA and the name its certificate has. */
  readonly upstream: { readonly port: number; readonly ca: Buffer; readonly servername: string };
}

export async function startClientCertProxy(options: ClientCertProxyOptions): Promise<ClientCertProxy> {
  const known = new Map<string, { cert: Buffer; key: Buffer }>();
  const presented: Buffer[] = [];
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    { ...options.serve, ca: [...options.clientCas], requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (socket) => {
      const der = socket.getPeerCertificate().raw;
      presented.push(der);
      const identity = known.get(der.toString('base64'));
      if (identity === undefined) return void socket.destroy();
      const upstream = tls.connect({ host: '127.0.0.1', port: options.upstream.port, ca: options.upstream.ca, servername: options.upstream.servername, ...identity, ALPNProtocols: ['h2'] });
      for (const s of [socket, upstream]) {
        sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          sockets.delete(s);
          socket.destroy();
          upstream.destroy();
        });
      }
      socket.pipe(upstream).pipe(socket);
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    presented,
    know: (cert, key) => void known.set(new X509Certificate(cert).raw.toString('base64'), { cert, key }),
    dropConnections: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
