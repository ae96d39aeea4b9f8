import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { checkAcrossOptions } from '../../../../cli/services/network/add-org-across';
import { refuseNewOrgDir } from '../../../../cli/services/network/add-org-definition';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { exportNetwork } from '../../../../cli/services/network/network-export';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { joinNetwork } from '../../../../cli/services/network/network-join';
import { createOwnOrg } from '../../../../cli/services/network/network-new-org';
import { checkJoiningOrg } from '../../../../cli/services/network/new-org-spec';
import { layOutOrgDefinition, readOrgDefinition, type OrgDefinition } from '../../../../cli/services/network/org-definition';
import { refusal } from '../../../support/refusal';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

const quiet = (): void => undefined;

/** The parts of `configtxgen -printOrg`'s JSON these tests read and tamper with. */
interface PrintedGroup {
  mod_policy: string;
  version: string;
  groups: Record<string, unknown>;
  policies: Record<string, { policy: unknown }>;
  values: { AnchorPeers: { value: unknown }; MSP: { value: { config: { root_certs: string[]; signing_identity: unknown } } } };
}

/** A definition as JSON, to edit. */
interface DefinitionJson {
  org: { mspId?: string };
  files: Record<string, string>;
  group: PrintedGroup;
}

/**
 * An org made by itself (`weft network new-org`), its definition (certificates only) and every
 * refusal of it, and the join that completes its directory from a member's view: all offline, on
 * real crypto material from the real generator.
 */
describe('org definition: new-org, add-org --definition, join', () => {
  let tmp: string;
  let net: string;
  let org3: string;
  let definitionFile: string;
  let definition: OrgDefinition;
  let base: number;
  /** A copy of the definition with `edit` applied, written to a file of its own. */
  const edited = (name: string, edit: (d: DefinitionJson) => void): string => {
    const copy = JSON.parse(JSON.stringify(definition)) as DefinitionJson;
    edit(copy);
    const file = path.join(tmp, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(copy));
    return file;
  };
  const adminKey = (): string => fs.readFileSync(path.join(org3, 'organizations/peerOrganizations/org3.example.com/users/Admin@org3.example.com/msp/keystore/priv_sk'), 'utf8');

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-orgdef-'));
    net = path.join(tmp, 'net');
    org3 = path.join(tmp, 'org3');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: 21000 });
    // Free ports, yet none of the (stopped) network's: a join must find no clash it did not make.
    const portOf = (address: string | undefined): number[] => (address === undefined ? [] : [Number(address.slice(address.lastIndexOf(':') + 1))]);
    const networkPorts = new Set(openNetwork(net).nodes().flatMap((n) => [n.address, n.adminAddress, n.operationsAddress].flatMap(portOf)));
    do base = await findFreePorts(2);
    while (networkPorts.has(base) || networkPorts.has(base + 1));
    await createOwnOrg(org3, { name: 'Org3', basePort: base }, quiet);
    definitionFile = path.join(org3, 'org-definition.json');
    definition = readOrgDefinition(definitionFile);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("new-org makes the org's keys (0600) in its directory and a definition with its certificates and Fabric's printOrg group, no key", () => {
    const keys = filesUnder(org3).filter((f) => /keystore|priv_sk|\.key$/.test(f));
    expect(keys.length).toBeGreaterThanOrEqual(8);
    for (const key of keys) expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(definitionFile, 'utf8');
    expect(text).not.toMatch(/PRIVATE KEY/);
    for (const key of keys) expect(text).not.toContain(fs.readFileSync(key, 'utf8').split('\n')[1]);
    expect(definition.org).toMatchObject({ name: 'Org3', mspId: 'Org3MSP', domain: 'org3.example.com', peers: [{ name: 'peer0', port: base, operationsPort: base + 1 }] });
    expect(Object.keys(definition.files)).toEqual(expect.arrayContaining(['msp/cacerts/ca.org3.example.com-cert.pem', 'msp/config.yaml', 'tlsca/tlsca.org3.example.com-cert.pem']));
    // configtxgen -printOrg's shape (docs/source/config_update.md): values MSP and AnchorPeers, the four NodeOU policies.
    const group = definition.group as unknown as PrintedGroup;
    expect(group).toMatchObject({ mod_policy: 'Admins', version: '0', groups: {} });
    expect(Object.keys(group.policies).sort()).toEqual(['Admins', 'Endorsement', 'Readers', 'Writers']);
    expect(group.policies.Admins!.policy).toEqual({
      type: 1,
      value: { identities: [{ principal: { msp_identifier: 'Org3MSP', role: 'ADMIN' }, principal_classification: 'ROLE' }], rule: { n_out_of: { n: 1, rules: [{ signed_by: 0 }] } }, version: 0 },
    });
    expect(group.values.AnchorPeers.value).toEqual({ anchor_peers: [{ host: '127.0.0.1', port: base }] });
    expect(group.values.MSP.value).toMatchObject({ type: 0, config: { name: 'Org3MSP', signing_identity: null, fabric_node_ous: { enable: true } } });
    expect(Buffer.from(group.values.MSP.value.config.root_certs[0]!, 'base64').toString()).toBe(definition.files['msp/cacerts/ca.org3.example.com-cert.pem']);
    // Its files make exactly that group.
    expect(() => layOutOrgDefinition(definition, path.join(tmp, 'laid'), definitionFile)).not.toThrow();
  });

  it('new-org refuses a directory that is not empty and writes nothing there', async () => {
    const busy = path.join(tmp, 'busy');
    fs.mkdirSync(busy);
    fs.writeFileSync(path.join(busy, 'x'), 'x');
    await expect(createOwnOrg(busy, { name: 'Org4' }, quiet)).rejects.toMatchObject({ code: 'TARGET_NOT_EMPTY', details: { field: 'dir' } });
    expect(fs.readdirSync(busy)).toEqual(['x']);
  });

  it('refuses a definition that carries a private key, wherever it is', () => {
    const key = adminKey();
    const cases: [string, (d: DefinitionJson) => void, string][] = [
      ['key-file', (d) => (d.files['users/Admin@org3.example.com/msp/keystore/priv_sk'] = key), 'files.users/Admin@org3.example.com/msp/keystore/priv_sk'],
      ['key-in-cert', (d) => (d.files['msp/cacerts/ca.org3.example.com-cert.pem'] += key), 'files.msp/cacerts/ca.org3.example.com-cert.pem'],
      ['key-b64', (d) => (d.group.values.MSP.value.config.root_certs = [Buffer.from(key).toString('base64')]), 'group.values.MSP.value.config.root_certs[0]'],
      ['signer', (d) => (d.group.values.MSP.value.config.signing_identity = { public_signer: 'AA==' }), 'group.values.MSP.value.config.signing_identity'],
    ];
    for (const [name, edit, field] of cases) {
      const file = edited(name, edit);
      expect(refusal(() => readOrgDefinition(file))).toMatchObject({ code: 'ORG_DEFINITION_HAS_PRIVATE_KEY', details: { field } });
    }
  });

  it('refuses a missing, malformed or tampered definition, naming the field', () => {
    expect(refusal(() => readOrgDefinition(path.join(tmp, 'absent.json')))).toMatchObject({ code: 'ORG_DEFINITION_NOT_FOUND', details: { field: '--definition' } });
    const notJson = path.join(tmp, 'not.json');
    fs.writeFileSync(notJson, '{"format": ');
    expect(refusal(() => readOrgDefinition(notJson))).toMatchObject({ code: 'ORG_DEFINITION_INVALID', details: { field: '--definition' } });
    // configtxgen -printOrg's output alone is named as such.
    const bare = path.join(tmp, 'bare.json');
    fs.writeFileSync(bare, JSON.stringify(definition.group));
    expect(refusal(() => readOrgDefinition(bare))).toMatchObject({ code: 'ORG_DEFINITION_INVALID', details: { field: 'format' }, message: expect.stringContaining('configtxgen -printOrg') });
    const noMsp = edited('no-msp', (d) => delete d.org.mspId);
    expect(refusal(() => readOrgDefinition(noMsp))).toMatchObject({ code: 'ORG_DEFINITION_INVALID', details: { field: 'org.mspId' } });
    const escape = edited('escape', (d) => (d.files['../../etc/x.pem'] = d.files['msp/cacerts/ca.org3.example.com-cert.pem']));
    expect(refusal(() => readOrgDefinition(escape))).toMatchObject({ code: 'ORG_DEFINITION_INVALID', details: { field: 'files["../../etc/x.pem"]' } });
    const notCert = edited('not-cert', (d) => (d.files['msp/cacerts/extra.pem'] = 'hello'));
    expect(refusal(() => readOrgDefinition(notCert))).toMatchObject({ code: 'ORG_DEFINITION_INVALID', details: { field: 'files["msp/cacerts/extra.pem"]' } });
    // A group that is not the one the files make (another root CA swapped in) is not what the channel would get.
    const otherRoot = fs.readFileSync(path.join(net, 'organizations/peerOrganizations/org1.example.com/msp/cacerts/ca.org1.example.com-cert.pem'));
    const swapped = readOrgDefinition(edited('swapped', (d) => (d.group.values.MSP.value.config.root_certs = [otherRoot.toString('base64')])));
    expect(refusal(() => layOutOrgDefinition(swapped, path.join(tmp, 'laid-swapped'), 'swapped.json'))).toMatchObject({ code: 'ORG_DEFINITION_MISMATCH', details: { field: 'group' } });
  });

  it("refuses an org whose name, MSP ID, domain or ports the network has, and add-org flags that contradict --definition", () => {
    const { spec } = openNetwork(net);
    expect(refusal(() => checkJoiningOrg(spec, { ...definition.org, mspId: 'Org1MSP' }, 'x'))).toMatchObject({ code: 'ORG_EXISTS', details: { field: 'org.mspId' } });
    expect(refusal(() => checkJoiningOrg(spec, { ...definition.org, name: 'org2' }, 'x'))).toMatchObject({ code: 'ORG_EXISTS', details: { field: 'org.name' } });
    expect(refusal(() => checkJoiningOrg(spec, { ...definition.org, name: 'Org9', mspId: 'Org9MSP', domain: 'org1.example.com' }, 'x'))).toMatchObject({
      code: 'ORG_EXISTS',
      details: { field: 'org.domain' },
    });
    const busyPort = spec.orgs[0]!.peers[0]!.port;
    expect(refusal(() => checkJoiningOrg(spec, { ...definition.org, peers: [{ ...definition.org.peers[0]!, port: busyPort }] }, 'x'))).toMatchObject({
      code: 'PORT_TAKEN',
      details: { field: 'org.peers.0.port' },
    });
    expect(() => checkJoiningOrg(spec, definition.org, 'x')).not.toThrow();
    expect(refusal(() => checkAcrossOptions(net, { definition: definitionFile, name: 'Org3' }))).toMatchObject({ code: 'CONFLICTING_FLAGS', details: { field: '--name' } });
    expect(refusal(() => checkAcrossOptions(net, { definition: definitionFile, orgDir: org3, output: 'x.pb' }))).toMatchObject({ code: 'CONFLICTING_FLAGS', details: { field: '--org-dir' } });
    // The member step in the new org's own directory.
    expect(refusal(() => refuseNewOrgDir(org3))).toMatchObject({ code: 'NEW_ORG_DIR', details: { field: 'dir' } });
    expect(() => refuseNewOrgDir(net)).not.toThrow();
  });

  it("export --public holds no key and no node config; join completes the new org's directory from it without copying a key", () => {
    const pub = path.join(tmp, 'pub');
    expect(refusal(() => exportNetwork(net, pub, ['Org1'], quiet, { publicOnly: true }))).toMatchObject({ code: 'CONFLICTING_FLAGS' });
    const exported = exportNetwork(net, pub, [], quiet, { publicOnly: true });
    expect(exported).toMatchObject({ orgs: [], nodes: [], keysCopied: 0 });
    expect(filesUnder(pub).filter((f) => /keystore|priv_sk|\.key$|PRIVATE/.test(f) || fs.readFileSync(f, 'latin1').includes('PRIVATE KEY'))).toEqual([]);
    expect(fs.existsSync(path.join(pub, 'nodes'))).toBe(false);

    const ownKeys = filesUnder(org3).filter((f) => /keystore|priv_sk|\.key$/.test(f)).map((f) => [f, fs.readFileSync(f, 'utf8')] as const);
    // From the directory weft network init made, which holds every org's keys: none comes along.
    const joined = joinNetwork(org3, net, quiet);
    expect(joined).toMatchObject({ org: 'Org3', mspId: 'Org3MSP', channel: 'mychannel', peers: ['peer0.org3.example.com'], listedByMember: false });
    const layout = openNetwork(org3);
    expect(layout.spec.orgs.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    expect(fs.existsSync(layout.genesisBlockFile)).toBe(true);
    expect(fs.existsSync(layout.peersOf(layout.spec.orgs[2]!)[0]!.configFile)).toBe(true);
    expect(fs.existsSync(path.join(org3, 'nodes', 'peer0.org1.example.com'))).toBe(false);
    const keysNow = filesUnder(org3).filter((f) => /keystore|priv_sk|\.key$/.test(f));
    expect(keysNow.sort()).toEqual(ownKeys.map(([f]) => f).sort());
    for (const [f, content] of ownKeys) expect(fs.readFileSync(f, 'utf8')).toBe(content);

    expect(refusal(() => joinNetwork(org3, pub, quiet))).toMatchObject({ code: 'ORG_ALREADY_JOINED', details: { field: 'dir' } });
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    expect(refusal(() => joinNetwork(empty, net, quiet))).toMatchObject({ code: 'NOT_A_NEW_ORG_DIR', details: { field: 'dir' } });
  });

  it('join refuses a member view that lists the org with other certificates', async () => {
    // Another org under the same name and MSP ID: its own new keys.
    const impostor = path.join(tmp, 'impostor');
    await createOwnOrg(impostor, { name: 'Org3', basePort: 21100 }, quiet);
    // org3, joined above, lists the real Org3.
    expect(refusal(() => joinNetwork(impostor, org3, quiet))).toMatchObject({ code: 'ORG_DEFINITION_MISMATCH', details: { field: '--from' } });
    expect(fs.existsSync(path.join(impostor, 'network.yaml'))).toBe(false);
  });
});
