import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { applyConfigEnv } from '../../../../core/node/config-env';
import { NodeConfig } from '../../../../core/node/config';
import { loadOrdererConfig } from '../../../../core/orderer/orderer-config';
import { loadPeerConfig, PeerSection } from '../../../../core/peer/peer-config';

const PEER_SCHEMAS = [NodeConfig, z.object({ peer: PeerSection })];

function peerFile(): Record<string, unknown> {
  return {
    id: 'peer0.org1.example.com',
    kind: 'peer',
    dataDir: './data',
    msp: { id: 'Org1MSP', dir: './msp' },
    plugins: { ledger: { plugin: 'ledger-sqlite', options: { synchronous: 'NORMAL' } } },
    peer: { listenAddress: '127.0.0.1:7051', tls: { enabled: true, certFile: 'tls/server.crt', keyFile: 'tls/server.key' } },
  };
}

describe('WEFT_* config overrides', () => {
  it('sets keys named by upper-cased paths, converting each value to its key type', () => {
    const file = peerFile();
    const { config, overridden } = applyConfigEnv(file, PEER_SCHEMAS, {
      WEFT_PEER_LISTENADDRESS: '0.0.0.0:7151',
      WEFT_LOGLEVEL: 'debug',
      WEFT_PEER_TLS_ENABLED: 'FALSE',
      WEFT_PEER_TLS_ROOTCERTFILES: '[ca1.pem, ca2.pem]',
      WEFT_PEER_LIMITS_CONCURRENCY_GATEWAYSERVICE: '64',
      WEFT_PEER_OPERATIONS_LISTENADDRESS: '0.0.0.0:9443',
      WEFT_PLUGINS_LEDGER_OPTIONS_SYNCHRONOUS: 'FULL',
    });
    expect(overridden).toEqual([
      'logLevel',
      'peer.limits.concurrency.gatewayService',
      'peer.listenAddress',
      'peer.operations.listenAddress',
      'peer.tls.enabled',
      'peer.tls.rootCertFiles',
      'plugins.ledger.options.synchronous',
    ]);
    expect(config).toMatchObject({
      logLevel: 'debug',
      plugins: { ledger: { plugin: 'ledger-sqlite', options: { synchronous: 'FULL' } } },
      peer: {
        listenAddress: '0.0.0.0:7151',
        tls: { enabled: false, certFile: 'tls/server.crt', rootCertFiles: ['ca1.pem', 'ca2.pem'] },
        limits: { concurrency: { gatewayService: 64 } },
        operations: { listenAddress: '0.0.0.0:9443' },
      },
    });
    // The file's object is left as read.
    expect(file).toEqual(peerFile());
  });

  it('leaves alone variables that name no key: other WEFT_ settings, free-form keys the file lacks, another kind', () => {
    const { config, overridden } = applyConfigEnv(peerFile(), PEER_SCHEMAS, {
      WEFT_LOG_LEVEL: 'trace',
      WEFT_NODE_FLAGS: '--max-old-space-size=64',
      WEFT_PLUGINS_LEDGER_OPTIONS_CACHESIZEMIB: '64',
      WEFT_PLUGINS_RUNTIME_OPTIONS_TIMEOUTMS: '5',
      WEFT_ORDERER_LISTENADDRESS: '0.0.0.0:7050',
      WEFT_PEER_ID: 'x',
      WEFT_PEER__LISTENADDRESS: 'x',
      WEFT_PEER_LISTENADDRESS_PORT: '1',
      OTHER_PEER_LISTENADDRESS: 'x',
    });
    expect(overridden).toEqual([]);
    expect(config).toEqual(peerFile());
  });

  it("takes Fabric's FABRIC_LOGGING_SPEC as the logging spec, with WEFT_LOGLEVEL winning when both are set", () => {
    const fabric = applyConfigEnv(peerFile(), PEER_SCHEMAS, { FABRIC_LOGGING_SPEC: 'info:gateway=debug' });
    expect(fabric).toMatchObject({ config: { logLevel: 'info:gateway=debug' }, overridden: ['logLevel'] });
    const both = applyConfigEnv(peerFile(), PEER_SCHEMAS, { FABRIC_LOGGING_SPEC: 'info:gateway=debug', WEFT_LOGLEVEL: 'error' });
    expect(both).toMatchObject({ config: { logLevel: 'error' }, overridden: ['logLevel'] });
  });

  it('loads through the node loaders: a peer and an orderer take their own keys; a bad value names its field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-config-env-'));
    try {
      const file = path.join(dir, 'peer.yaml');
      fs.writeFileSync(file, stringify(peerFile()));
      const peer = loadPeerConfig(file, { WEFT_PEER_LISTENADDRESS: '0.0.0.0:7151', WEFT_PEER_TLS_CERTFILE: 'other.crt', WEFT_DATADIR: '/var/weft' });
      expect(peer.peer.listenAddress).toBe('0.0.0.0:7151');
      // Relative paths from the environment resolve against the config file, as the file's own do.
      expect(peer.peer.tls.certFile).toBe(path.join(dir, 'other.crt'));
      expect(peer.node.dataDir).toBe('/var/weft');
      expect(peer.node.overriddenFromEnv).toEqual(['dataDir', 'peer.listenAddress', 'peer.tls.certFile']);
      expect(() => loadPeerConfig(file, { WEFT_PEER_AUTHTIMEWINDOWMS: 'soon' })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/authTimeWindowMs/) }),
      );
      expect(() => loadPeerConfig(file, { FABRIC_LOGGING_SPEC: 'info:gossip=chatty' })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/logLevel: invalid logging spec "info:gossip=chatty": unknown level/) }),
      );

      const ordererFile = path.join(dir, 'orderer.yaml');
      fs.writeFileSync(
        ordererFile,
        stringify({
          id: 'orderer0.example.com',
          kind: 'orderer',
          dataDir: './data',
          msp: { id: 'OrdererMSP', dir: './msp' },
          plugins: { ledger: { plugin: 'ledger-sqlite' }, ordering: { plugin: 'orderer-solo' } },
          orderer: { listenAddress: '127.0.0.1:7050', tls: { cert: 'tls/server.crt', key: 'tls/server.key' } },
        }),
      );
      const orderer = loadOrdererConfig(ordererFile, { WEFT_ORDERER_LISTENADDRESS: '0.0.0.0:7150', WEFT_PEER_LISTENADDRESS: '0.0.0.0:1' });
      expect(orderer.orderer.listenAddress).toBe('0.0.0.0:7150');
      expect(orderer.overriddenFromEnv).toEqual(['orderer.listenAddress']);
      expect((orderer as Record<string, unknown>).peer).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
