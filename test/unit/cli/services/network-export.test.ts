import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveOrg } from '../../../../cli/services/chaincode/org-args';
import { loadClientIdentity } from '../../../../cli/services/client/client-identity';
import { OrdererAdminClient } from '../../../../cli/services/client/orderer-admin';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { exportNetwork } from '../../../../cli/services/network/network-export';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { nodeKeysHere, orgsWithKeysHere, ordererAdminHere } from '../../../../cli/services/network/org-keys';
import { WeftError } from '../../../../core/errors';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const isKey = (f: string): boolean => f.includes(`${path.sep}keystore${path.sep}`) || f.endsWith('priv_sk') || f.endsWith('.key');

describe('network export', () => {
  let tmp: string;
  let net: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-export-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, orgs: 3, basePort: 21000 });
    // Files of a running network that are no org's to carry: node data, logs, pid files.
    fs.mkdirSync(path.join(net, 'nodes', 'peer0.org1.example.com', 'data'), { recursive: true });
    fs.writeFileSync(path.join(net, 'nodes', 'peer0.org1.example.com', 'data', 'ledger.sqlite'), 'x');
    fs.mkdirSync(path.join(net, 'logs'));
    fs.writeFileSync(path.join(net, 'logs', 'peer0.org1.example.com.log'), 'x');
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("holds every org's certificates and only the named orgs' keys, never a CA's, with their modes", () => {
    const out = path.join(tmp, 'org2');
    const result = exportNetwork(net, out, ['Org2', 'ordererMSP'], () => undefined);
    expect(result.orgs).toEqual(['Org2MSP', 'OrdererMSP']);
    expect(result.nodes).toEqual(['orderer.example.com', 'peer0.org2.example.com']);

    const all = filesUnder(net);
    const copied = filesUnder(out);
    const keys = copied.filter(isKey);
    expect(keys.length).toBe(result.keysCopied);
    expect(keys.every((f) => f.includes('org2.example.com') || f.includes(`ordererOrganizations${path.sep}example.com`))).toBe(true);
    expect(keys.some((f) => /(^|\/)(ca|tlsca)\/priv_sk$/.test(f))).toBe(false);
    expect(result.keysCopied + result.keysLeftOut).toBe(all.filter(isKey).length);
    for (const k of keys) expect(fs.statSync(path.join(out, k)).mode & 0o777).toBe(0o600);
    // Every certificate, the genesis block and network.yaml; node configs of the named orgs only; no node data or logs.
    expect(copied).toEqual(
      all.filter(
        (f) =>
          !isKey(f) &&
          !f.startsWith('logs') &&
          !f.includes(`${path.sep}data${path.sep}`) &&
          !(f.startsWith('nodes') && !/orderer\.example\.com|org2\.example\.com/.test(f)),
      ).concat(keys).sort(),
    );

    const layout = openNetwork(out);
    expect(orgsWithKeysHere(layout).map((o) => o.mspId)).toEqual(['Org2MSP']);
    expect(ordererAdminHere(layout)).toBe(true);
    expect(layout.nodes().filter((n) => nodeKeysHere(layout, n)).map((n) => n.id)).toEqual(['orderer.example.com', 'peer0.org2.example.com']);
    // Without --org, commands act as the first org whose keys are here.
    expect(resolveOrg(layout, undefined).mspId).toBe('Org2MSP');
    expect(loadClientIdentity(layout.user(layout.spec.orgs[1]!, 'User1')).signer.sign(Buffer.from('m')).length).toBeGreaterThan(0);
  });

  it("refuses to act as an org whose keys are elsewhere: KEY_NOT_HERE names the user and the file", () => {
    const out = path.join(tmp, 'org3');
    exportNetwork(net, out, ['org3.example.com'], () => undefined);
    const layout = openNetwork(out);
    const admin1 = layout.user(layout.spec.orgs[0]!, 'Admin');
    const err = (() => {
      try {
        loadClientIdentity(admin1);
      } catch (e) {
        return e;
      }
    })() as WeftError;
    expect(err).toBeInstanceOf(WeftError);
    expect(err.code).toBe('KEY_NOT_HERE');
    expect(err.message).toContain('Admin@org1.example.com (Org1MSP)');
    expect(err.message).toContain(admin1.keyPath);
    expect(() => new OrdererAdminClient(layout.orderers()[0]!, layout)).toThrow(expect.objectContaining({ code: 'KEY_NOT_HERE' }));
    expect(ordererAdminHere(layout)).toBe(false);
  });

  it('refuses unknown orgs, no org, a non-empty target and a target inside the network, writing nothing', () => {
    const out = path.join(tmp, 'bad');
    expect(() => exportNetwork(net, out, ['Org9'], () => undefined)).toThrow(expect.objectContaining({ code: 'UNKNOWN_ORG', message: expect.stringContaining('Org3 (Org3MSP)') }));
    expect(() => exportNetwork(net, out, [], () => undefined)).toThrow(expect.objectContaining({ code: 'NO_ORG_GIVEN' }));
    expect(() => exportNetwork(net, path.join(net, 'copy'), ['Org1'], () => undefined)).toThrow(expect.objectContaining({ code: 'TARGET_INSIDE_NETWORK' }));
    // An export holds only its orgs' keys: exporting another org from it has nothing to copy.
    const org2 = path.join(tmp, 'org2-source');
    exportNetwork(net, org2, ['Org2'], () => undefined);
    expect(() => exportNetwork(org2, out, ['Org1'], () => undefined)).toThrow(expect.objectContaining({ code: 'ORG_KEYS_NOT_HERE', message: expect.stringContaining('no keys of Org1MSP') }));
    expect(() => exportNetwork(org2, out, ['OrdererMSP'], () => undefined)).toThrow(expect.objectContaining({ code: 'ORG_KEYS_NOT_HERE' }));
    expect(exportNetwork(org2, path.join(tmp, 'org2-again'), ['Org2'], () => undefined).keysCopied).toBeGreaterThan(0);
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'keep'), 'mine');
    expect(() => exportNetwork(net, out, ['Org1'], () => undefined)).toThrow(expect.objectContaining({ code: 'TARGET_NOT_EMPTY' }));
    expect(fs.readdirSync(out)).toEqual(['keep']);
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
