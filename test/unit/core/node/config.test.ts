import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../../core/errors';
import { loadNodeConfig, parseNodeConfig, slotOptions } from '../../../../core/node/config';

describe('node config', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-config-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const valid = {
    id: 'peer0.org1.example.com',
    kind: 'peer',
    dataDir: './data',
    msp: { id: 'Org1MSP', dir: './msp' },
    plugins: { ledger: { plugin: 'ledger-sqlite', options: { synchronous: 'FULL' } } },
  };

  it('resolves relative directories against the config file and fills plugin defaults', () => {
    const file = path.join(dir, 'peer.yaml');
    fs.writeFileSync(
      file,
      'id: peer0.org1.example.com\nkind: peer\ndataDir: ./data\nmsp: {id: Org1MSP, dir: ./msp}\nplugins:\n  ledger: {plugin: ledger-sqlite, options: {synchronous: FULL}}\n',
    );
    const config = loadNodeConfig(file);
    expect(config.dataDir).toBe(path.join(dir, 'data'));
    expect(config.msp.dir).toBe(path.join(dir, 'msp'));
    expect(config.baseDir).toBe(dir);
    expect(config.plugins.msp).toEqual({ plugin: 'msp-x509', options: {} });
    expect(config.plugins.policy.plugin).toBe('policy-fabric');
    expect(config.logLevel).toBe('warn');
    expect(slotOptions(config, 'ledger')).toEqual({ synchronous: 'FULL' });
    expect(slotOptions(config, 'runtime')).toEqual({});
  });

  it('names every wrong field with its path and what was expected', () => {
    const bad = { ...valid, kind: 'miner', msp: { id: '' }, plugins: { ledger: { plugin: 7 }, storage: {} } };
    let caught: unknown;
    try {
      parseNodeConfig(bad, dir, 'peer.yaml');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('peer.yaml is not valid');
    expect(error.message).toMatch(/kind: .*"peer"\|"orderer"|kind: .*peer.*orderer/);
    expect(error.message).toContain('msp.id');
    expect(error.message).toContain('msp.dir');
    expect(error.message).toContain('plugins.ledger.plugin');
    expect(error.message).toContain('storage');
    const paths = (error.details.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['kind', 'msp.id', 'msp.dir', 'plugins.ledger.plugin']));
  });

  it('reports unreadable files and bad YAML with distinct codes', () => {
    expect(() => loadNodeConfig(path.join(dir, 'missing.yaml'))).toThrow(expect.objectContaining({ code: 'CONFIG_UNREADABLE' }));
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'id: [unterminated\n');
    expect(() => loadNodeConfig(file)).toThrow(expect.objectContaining({ code: 'CONFIG_BAD_YAML' }));
  });
});
