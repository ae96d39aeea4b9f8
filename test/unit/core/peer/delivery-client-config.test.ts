import { ConfigError } from '../../../../core/errors';
import { reconnectDelayMs } from '../../../../core/peer/orderer/delivery-timings';
import { peerFromEnv, peerWith } from './peer-config-fixture';

const deliveryClient = (value: unknown) => peerWith({ deliveryClient: value }).peer.deliveryClient;

/** Fabric's `peer.deliveryclient.connTimeout` and `reConnectBackoffThreshold` (core/deliverservice/config.go). */
describe('peer config: deliveryClient', () => {
  it("takes Fabric's defaults (3s, 3600s, 30s) when left out or zero, as viper's zero value does there", () => {
    const defaults = { connTimeoutMs: 3_000, reConnectBackoffThresholdMs: 3_600_000, blockCensorshipTimeoutMs: 30_000 };
    expect(peerWith({}).peer.deliveryClient).toEqual(defaults);
    expect(deliveryClient({})).toEqual(defaults);
    expect(deliveryClient({ connTimeout: '0s', reConnectBackoffThreshold: '0' })).toEqual(defaults);
  });

  it('reads Go duration strings', () => {
    expect(deliveryClient({ connTimeout: '1.5s', reConnectBackoffThreshold: '2m30s', blockCensorshipTimeoutKey: '45s' })).toEqual({
      connTimeoutMs: 1_500,
      reConnectBackoffThresholdMs: 150_000,
      blockCensorshipTimeoutMs: 45_000,
    });
    expect(deliveryClient({ connTimeout: '250ms' }).connTimeoutMs).toBe(250);
  });

  it.each([
    [{ connTimeout: 'soon' }, /deliveryClient\.connTimeout: time: invalid duration "soon"/],
    [{ connTimeout: 3 }, /deliveryClient\.connTimeout: expected a Go duration string such as "3s" \(a bare number has no unit\)/],
    [{ reConnectBackoffThreshold: '-1h' }, /deliveryClient\.reConnectBackoffThreshold: "-1h" is negative/],
    [{ reconnectTotalTimeThreshold: '1h' }, /deliveryClient: Unrecognized key: "reconnectTotalTimeThreshold"/],
  ])('refuses %j with a ConfigError naming the key', (value, message) => {
    expect(() => deliveryClient(value)).toThrow(ConfigError);
    expect(() => deliveryClient(value)).toThrow(message);
  });

  it('is set from the environment like the rest of the file', () => {
    const config = peerFromEnv({ WEFT_PEER_DELIVERYCLIENT_CONNTIMEOUT: '10s' });
    expect(config.peer.deliveryClient.connTimeoutMs).toBe(10_000);
    expect(config.node.overriddenFromEnv).toEqual(['peer.deliveryClient.connTimeout']);
  });
});

/** Fabric's `Deliverer.DeliverBlocks` backoff: 100 ms × 1.2^(n−1), then the threshold once past it. */
describe('reconnectDelayMs', () => {
  it("follows Fabric's schedule under the default threshold", () => {
    const hour = 3_600_000;
    expect([1, 2, 3, 4].map((n) => reconnectDelayMs(n, hour))).toEqual([100, 120, 144, 172]);
    expect(reconnectDelayMs(20, hour)).toBe(3_194);
    // maxFailures = int(log(36000) / log(1.2)) = 57: the 58th failure still grows, the 59th waits the threshold.
    expect(reconnectDelayMs(58, hour)).toBe(Math.floor(1.2 ** 57 * 100));
    expect(reconnectDelayMs(59, hour)).toBe(hour);
  });

  it('caps at a small threshold', () => {
    // int(log(2.5) / log(1.2)) = 5.
    expect([1, 6, 7, 100].map((n) => reconnectDelayMs(n, 250))).toEqual([100, 248, 250, 250]);
  });
});
