import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { ConfigError } from '../../../../core/errors';
import { parseNodeConfig } from '../../../../core/node/config';
import { loadPeerConfig, parsePeerConfig } from '../../../../core/peer/peer-config';

const base = {
  id: 'peer0',
  kind: 'peer',
  dataDir: './data',
  msp: { id: 'Org1MSP', dir: './msp' },
  plugins: { ledger: { plugin: 'ledger-sqlite' }, runtime: { plugin: 'runtime-isolated-vm' } },
};
const peerWith = (peer: unknown) => parsePeerConfig(parseNodeConfig({ ...base, peer }, '/etc/weft'));

describe('peer config: gossip.dialTimeout (the bound on a connection to another peer coming up)', () => {
  it("is Fabric's 3s unless set, and takes a Go duration", () => {
    expect(peerWith({}).peer.gossip).toEqual({ dialTimeoutMs: 3000 });
    expect(peerWith({ gossip: {} }).peer.gossip.dialTimeoutMs).toBe(3000);
    expect(peerWith({ gossip: { dialTimeout: '750ms' } }).peer.gossip.dialTimeoutMs).toBe(750);
    expect(peerWith({ gossip: { dialTimeout: '0s' } }).peer.gossip.dialTimeoutMs).toBe(3000);
  });

  it('refuses a bare number, a negative duration and an unparsable one, naming the field and what it expects', () => {
    for (const dialTimeout of [3, '-1s', 'soon']) {
      let caught: unknown;
      try {
        peerWith({ gossip: { dialTimeout } });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).code).toBe('CONFIG_INVALID');
      expect((caught as ConfigError).message).toMatch(/gossip\.dialTimeout: .*(Go duration|"3s")/);
    }
  });

  it('is set from the environment like the rest of the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-gossip-dial-'));
    try {
      const file = path.join(dir, 'peer.yaml');
      fs.writeFileSync(file, stringify({ ...base, peer: {} }));
      const config = loadPeerConfig(file, { WEFT_PEER_GOSSIP_DIALTIMEOUT: '1500ms' });
      expect(config.peer.gossip.dialTimeoutMs).toBe(1500);
      expect(config.node.overriddenFromEnv).toEqual(['peer.gossip.dialTimeout']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
