/** A second Org1 peer beside an in-process network's, for tests that join it to a channel later. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import type { InProcessNetwork } from './in-process-network';

/**
 * A second Org1 peer's config: peer0's identity and settings, its own port, operations port and data
 * directory. `knowsPeer0`: peer0 is among the peers it asks (its Gateway's and its private data
 * pulls'); sharing peer0's identity, it would not learn peer0 by membership exchange.
 */
export function freshPeerConfig(net: InProcessNetwork, port: number, opsPort: number, options: { knowsPeer0?: boolean } = {}): string {
  const config = parse(fs.readFileSync(net.peerFiles[0].configFile, 'utf8')) as Record<string, Record<string, unknown>>;
  const dir = path.join(net.dir, 'peer-fresh');
  fs.mkdirSync(dir, { recursive: true });
  config.id = 'peer1.org1.example.com' as unknown as Record<string, unknown>;
  config.dataDir = path.join(dir, 'data') as unknown as Record<string, unknown>;
  config.peer = { ...config.peer, listenAddress: `127.0.0.1:${port}`, operations: { listenAddress: `127.0.0.1:${opsPort}` } };
  if (options.knowsPeer0 === true) {
    const gateway = (config.peer.gateway ?? {}) as { peers?: { address: string; mspId: string }[] };
    config.peer.gateway = { ...gateway, peers: [...(gateway.peers ?? []), { address: `127.0.0.1:${net.ports[0]}`, mspId: net.m.orgs[0].mspId }] };
  }
  const file = path.join(dir, 'peer.yaml');
  fs.writeFileSync(file, stringify(config));
  return file;
}
