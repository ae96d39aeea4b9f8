import * as path from 'node:path';
import { ConfigError } from '../../../../core/errors';
import { parseNodeConfig } from '../../../../core/node/config';
import { toOrdererNodeConfig } from '../../../../core/orderer/orderer-config';

const base = {
  id: 'orderer0',
  kind: 'orderer',
  dataDir: './data',
  msp: { id: 'OrdererMSP', dir: './msp' },
  plugins: { ledger: { plugin: 'ledger-sqlite' }, ordering: { plugin: 'orderer-solo' } },
};

describe('orderer config', () => {
  it('fills defaults and resolves file paths against the config file folder', () => {
    const config = toOrdererNodeConfig(parseNodeConfig({ ...base, orderer: { tls: { cert: 'tls/server.crt', key: 'tls/server.key' } } }, '/etc/weft'));
    expect(config.orderer.listenAddress).toBe('127.0.0.1:7050');
    expect(config.orderer.tls.cert).toBe(path.resolve('/etc/weft/tls/server.crt'));
    expect(config.orderer.tls.clientAuthRequired).toBe(false);
    expect(config.orderer.admin).toBeUndefined();
    expect(config.orderer.connectionTimeoutMs).toBe(5000);
  });

  it('names the path of a missing or bad value', () => {
    const bad = (orderer: unknown) => () => toOrdererNodeConfig(parseNodeConfig({ ...base, orderer }, '/x'));
    expect(bad({})).toThrow(/orderer\.tls/);
    expect(bad({ tls: { cert: 'c', key: 'k' }, listenAddress: 'nohost' })).toThrow(/orderer\.listenAddress: expected 'host:port'/);
    expect(bad({ tls: { cert: 'c', key: 'k', clientAuthRequired: true } })).toThrow(/clientRootCAs/);
    expect(bad({ tls: { cert: 'c', key: 'k' }, admin: { tls: { cert: 'c', key: 'k', clientRootCAs: [] } } })).toThrow(/orderer\.admin\.tls\.clientRootCAs/);
    expect(bad({ tls: { cert: 'c', key: 'k' }, surprise: 1 })).toThrow(ConfigError);
    expect(bad({ tls: { cert: 'c', key: 'k' }, connectionTimeoutMs: 0 })).toThrow(/orderer\.connectionTimeoutMs/);
    expect(bad({ tls: { cert: 'c', key: 'k' }, operations: { tls: { cert: 'c', key: 'k', clientRootCAs: [] } } })).toThrow(
      /orderer\.operations\.tls\.clientRootCAs: needs at least one root/,
    );
  });

  it('resolves the operations TLS files against the config file folder', () => {
    const config = toOrdererNodeConfig(
      parseNodeConfig({ ...base, orderer: { tls: { cert: 'c', key: 'k' }, operations: { tls: { cert: 'tls/ops.crt', key: 'tls/ops.key', clientRootCAs: ['ca.pem'] } } } }, '/etc/weft'),
    );
    expect(config.orderer.operations).toEqual({
      listenAddress: '127.0.0.1:8443',
      tls: { cert: '/etc/weft/tls/ops.crt', key: '/etc/weft/tls/ops.key', clientRootCAs: ['/etc/weft/ca.pem'], clientAuthRequired: false },
    });
  });

  it('refuses a peer config', () => {
    expect(() => toOrdererNodeConfig(parseNodeConfig({ ...base, kind: 'peer' }, '/x'))).toThrow(/kind must be "orderer"/);
  });
});
