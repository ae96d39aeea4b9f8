import { parseNodeConfig } from '../../../../core/node/config';
import { CLI_CLIENT_KEEPALIVE, DEFAULT_SERVER_KEEPALIVE, clientKeepaliveOptions, serverKeepaliveOptions } from '../../../../core/node/grpc-keepalive';
import { toOrdererNodeConfig } from '../../../../core/orderer/orderer-config';
import { parsePeerConfig } from '../../../../core/peer/peer-config';

const node = { dataDir: './data', plugins: { ledger: { plugin: 'ledger-sqlite' } } };
const peerWith = (peer: unknown) => parsePeerConfig(parseNodeConfig({ ...node, id: 'peer0', kind: 'peer', msp: { id: 'Org1MSP', dir: './msp' }, peer }, '/etc/weft')).peer;
const ordererWith = (keepalive: unknown) =>
  toOrdererNodeConfig(parseNodeConfig({ ...node, id: 'orderer0', kind: 'orderer', msp: { id: 'OrdererMSP', dir: './msp' }, orderer: { tls: { cert: 'c', key: 'k' }, keepalive } }, '/etc/weft')).orderer;

describe('gRPC keepalive', () => {
  it("the CLI's clients find a dead connection within a minute, pinging with or without a call open", () => {
    expect(CLI_CLIENT_KEEPALIVE.intervalMs + CLI_CLIENT_KEEPALIVE.timeoutMs).toBeLessThanOrEqual(60_000);
    expect(clientKeepaliveOptions()).toEqual({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 20_000, 'grpc.keepalive_permit_without_calls': 1 });
  });

  it('servers ping every 60 s and wait 20 s (Fabric: 2 h and 20 s) unless peer.keepalive / orderer.keepalive say otherwise', () => {
    expect(serverKeepaliveOptions()).toEqual({ 'grpc.keepalive_time_ms': 60_000, 'grpc.keepalive_timeout_ms': 20_000 });
    expect(peerWith({}).keepalive).toEqual(DEFAULT_SERVER_KEEPALIVE);
    expect(peerWith({ keepalive: { intervalMs: 5_000 } }).keepalive).toEqual({ intervalMs: 5_000, timeoutMs: 20_000 });
    expect(ordererWith(undefined).keepalive).toEqual(DEFAULT_SERVER_KEEPALIVE);
    expect(ordererWith({ timeoutMs: 1_000 }).keepalive).toEqual({ intervalMs: 60_000, timeoutMs: 1_000 });
  });

  it('refuses a value that is not a positive number of ms, and keys it does not know, naming them', () => {
    expect(() => peerWith({ keepalive: { intervalMs: 0 } })).toThrow(/keepalive\.intervalMs: Too small/);
    expect(() => peerWith({ keepalive: { interval: '7200s' } })).toThrow(/keepalive.*interval/);
    expect(() => ordererWith({ timeoutMs: '20s' })).toThrow(/orderer\.keepalive\.timeoutMs/);
  });
});
