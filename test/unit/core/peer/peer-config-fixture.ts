import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { parseNodeConfig } from '../../../../core/node/config';
import { loadPeerConfig, parsePeerConfig, type PeerConfig } from '../../../../core/peer/peer-config';

/** The smallest peer node config: what the peer-config tests vary the `peer` section of. */
export const PEER_NODE_BASE = {
  id: 'peer0',
  kind: 'peer',
  dataDir: './data',
  msp: { id: 'Org1MSP', dir: './msp' },
  plugins: { ledger: { plugin: 'ledger-sqlite' }, runtime: { plugin: 'runtime-isolated-vm' } },
};

/** The peer config of {@link PEER_NODE_BASE} with `peer` as its peer section. */
export const peerWith = (peer: unknown): PeerConfig => parsePeerConfig(parseNodeConfig({ ...PEER_NODE_BASE, peer }, '/etc/weft'));

/** A peer.yaml of {@link PEER_NODE_BASE} loaded as a node loads it at start, `env` over the file. */
export function peerFromEnv(env: NodeJS.ProcessEnv): PeerConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-peer-config-'));
  try {
    const file = path.join(dir, 'peer.yaml');
    fs.writeFileSync(file, stringify({ ...PEER_NODE_BASE, peer: {} }));
    return loadPeerConfig(file, env);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
