import { ConfigError } from '../../../../core/errors';
import { peerFromEnv, peerWith } from './peer-config-fixture';

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
    const config = peerFromEnv({ WEFT_PEER_GOSSIP_DIALTIMEOUT: '1500ms' });
    expect(config.peer.gossip.dialTimeoutMs).toBe(1500);
    expect(config.node.overriddenFromEnv).toEqual(['peer.gossip.dialTimeout']);
  });
});
