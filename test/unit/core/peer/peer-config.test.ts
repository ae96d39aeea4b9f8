import { ConfigError } from '../../../../core/errors';
import { snapshotsRootDir } from '../../../../core/peer/peer-config';
import { peerWith } from './peer-config-fixture';

describe('peer config: sections left out', () => {
  it("take every field's own default", () => {
    const { peer } = peerWith({});
    expect(peer.tls).toEqual({ enabled: false, rootCertFiles: [], clientAuthRequired: false });
    expect(peer.gateway).toEqual({ enabled: true, endorsementTimeoutMs: 30_000, broadcastTimeoutMs: 30_000, peers: [] });
    expect(peer.limits).toEqual({ concurrency: { endorserService: 2500, deliverService: 2500, gatewayService: 500 } });
    expect(peerWith({ limits: {} }).peer.limits.concurrency.gatewayService).toBe(500);
    expect(peer.connectionTimeoutMs).toBe(5000);
    expect(peerWith({ connectionTimeoutMs: 12_000 }).peer.connectionTimeoutMs).toBe(12_000);
    expect(() => peerWith({ connectionTimeoutMs: -1 })).toThrow(/peer section is not valid:\s+connectionTimeoutMs: Too small/);
  });
});

describe('peer config: operations.tls', () => {
  it('resolves its files against the config file folder', () => {
    const config = peerWith({ operations: { listenAddress: '0.0.0.0:9443', tls: { enabled: true, certFile: 'tls/server.crt', keyFile: 'tls/server.key', rootCertFiles: ['tls/ca.crt'] } } });
    expect(config.peer.operations).toEqual({
      listenAddress: '0.0.0.0:9443',
      tls: { enabled: true, certFile: '/etc/weft/tls/server.crt', keyFile: '/etc/weft/tls/server.key', rootCertFiles: ['/etc/weft/tls/ca.crt'], clientAuthRequired: false },
    });
  });

  it('refuses TLS turned on without a certificate, key or client roots, naming what is missing', () => {
    for (const tls of [{ enabled: true, keyFile: 'k', rootCertFiles: ['r'] }, { enabled: true, certFile: 'c', keyFile: 'k' }]) {
      expect(() => peerWith({ operations: { tls } })).toThrow(ConfigError);
      expect(() => peerWith({ operations: { tls } })).toThrow(/peer\.operations\.tls\.enabled is true but certFile, keyFile or rootCertFiles is missing/);
    }
    expect(peerWith({ operations: { tls: { enabled: false } } }).peer.operations?.tls?.enabled).toBe(false);
  });
});

describe('peer config: privateData (Fabric’s peer.gossip.pvtData)', () => {
  it("takes Fabric's defaults, and refuses a timeout that is not a positive number of ms, naming the key", () => {
    const defaults = {
      pushAckTimeoutMs: 3000,
      transientStoreMaxBlockRetention: 20_000,
      pullRetryThresholdMs: 60_000,
      reconciliationEnabled: true,
      reconcileSleepIntervalMs: 60_000,
      reconcileBatchSize: 10,
      deprioritizedDataReconcilerIntervalMs: 3_600_000,
    };
    expect(peerWith({}).peer.privateData).toEqual(defaults);
    expect(peerWith({ privateData: { pushAckTimeoutMs: 500 } }).peer.privateData).toEqual({ ...defaults, pushAckTimeoutMs: 500 });
    expect(peerWith({ privateData: { reconciliationEnabled: false, reconcileBatchSize: 50 } }).peer.privateData).toEqual({
      ...defaults,
      reconciliationEnabled: false,
      reconcileBatchSize: 50,
    });
    expect(() => peerWith({ privateData: { pushAckTimeoutMs: 0 } })).toThrow(/privateData\.pushAckTimeoutMs/);
    expect(() => peerWith({ privateData: { reconcileSleepIntervalMs: -1 } })).toThrow(/privateData\.reconcileSleepIntervalMs/);
    expect(() => peerWith({ privateData: { pushAckTimout: 500 } })).toThrow(/pushAckTimout/);
  });
});

describe('peer config: snapshots.rootDir (Fabric ledger.snapshots.rootDir)', () => {
  it('defaults to snapshots/ under the data directory and resolves a given one against the config file folder', () => {
    expect(snapshotsRootDir(peerWith({}))).toBe('/etc/weft/data/snapshots');
    expect(snapshotsRootDir(peerWith({ snapshots: { rootDir: 'snaps' } }))).toBe('/etc/weft/snaps');
    expect(() => peerWith({ snapshots: { rootDir: '' } })).toThrow(/snapshots\.rootDir/);
    expect(() => peerWith({ snapshots: { dir: 'x' } })).toThrow(/snapshots/);
  });
});
