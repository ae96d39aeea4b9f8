import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { createOwnOrg } from '../../../../cli/services/network/network-new-org';
import type { NetworkSpec, PeerOrgSpec } from '../../../../cli/services/network/network-spec';
import { checkJoiningOrg } from '../../../../cli/services/network/new-org-spec';
import { definitionAnchorPeers, layOutOrgDefinition, orgGroupOf, readOrgDefinition, type OrgDefinition } from '../../../../cli/services/network/org-definition';
import { orgGroupJson } from '../../../../cli/services/network/org-group-json';
import { definitionFromPrintOrg, type PrintOrgOptions } from '../../../../cli/services/network/printorg-definition';
import { refusal } from '../../../support/refusal';

const quiet = (): void => undefined;

/** The parts of configtxgen -printOrg's JSON these tests read and tamper with. */
interface Printed {
  policies: Record<string, { policy: { value: { identities: { principal: { role: string } }[] } } }>;
  values: {
    MSP?: { value: { type: number; config: Record<string, unknown> & { name: string; root_certs: string[] } } };
    AnchorPeers?: { mod_policy: string; value: { anchor_peers: { host: string; port: number }[] }; version: string };
  };
}

/**
 * A Fabric org's `configtxgen -printOrg Org3MSP` JSON (no configtxgen here): the protolator JSON of
 * the group a real cryptogen-layout folder makes (orgGroupJson, the printer Fabric's tutorial output
 * is checked against in org-definition.test.ts), without AnchorPeers as the tutorial's org3 prints
 * it. add-org takes it with --peer (or its AnchorPeers), derives the org and its certificate folder
 * from it, and refuses what the orderer would not take, naming the JSON path.
 */
describe('add-org --definition <configtxgen -printOrg JSON>', () => {
  let tmp: string;
  let spec: NetworkSpec;
  let org3Msp: string;
  let printed: Record<string, unknown>;
  let port: number;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-printorg-'));
    await initNetwork(path.join(tmp, 'net'), { ...DEFAULT_INIT_OPTIONS, basePort: 21200 });
    spec = openNetwork(path.join(tmp, 'net')).spec;
    port = await findFreePorts(2);
    await createOwnOrg(path.join(tmp, 'org3'), { name: 'Org3', basePort: port }, quiet);
    org3Msp = path.join(tmp, 'org3', 'organizations', 'peerOrganizations', 'org3.example.com', 'msp');
    const definition = JSON.parse(fs.readFileSync(path.join(tmp, 'org3', 'org-definition.json'), 'utf8')) as OrgDefinition;
    // Exactly what configtxgen prints for an org whose configtx.yaml lists no AnchorPeers: the group alone.
    const group = JSON.parse(JSON.stringify(definition.group)) as Printed;
    delete group.values.AnchorPeers;
    printed = group as unknown as Record<string, unknown>;
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** `group` (the sample unless given) edited by `edit`, in a file of its own. */
  const fileOf = (name: string, edit: (g: Printed) => void = () => undefined): string => {
    const copy = JSON.parse(JSON.stringify(printed)) as Printed;
    edit(copy);
    const file = path.join(tmp, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(copy, null, '\t'));
    return file;
  };
  /** What add-org --definition reads, checks and lays out (openDefinition): the definition, or its refusal. */
  const read = (file: string, options: PrintOrgOptions): OrgDefinition => {
    const definition = readOrgDefinition(file, '--definition', (group, f) => definitionFromPrintOrg(group, f, spec, options));
    checkJoiningOrg(spec, definition.org, file);
    layOutOrgDefinition(definition, fs.mkdtempSync(path.join(tmp, 'laid-')), file, true);
    return definition;
  };

  it("derives the org from the group and --peer: MSP ID, name, domain from the peer's host, an MSP folder that makes the same group", () => {
    const definition = read(fileOf('org3'), { peers: [`peer0.org3.example.com:${port}`] });
    expect(definition.org).toEqual({
      name: 'Org3',
      mspId: 'Org3MSP',
      domain: 'org3.example.com',
      // No operations port: nothing of the org runs here, and network.yaml needs none for a peer whose keys are elsewhere.
      peers: [{ name: 'peer0', host: 'peer0.org3.example.com', port }],
      users: ['Admin'],
    });
    // The cryptogen layout of the org's certificates, byte for byte the files configtxgen read.
    const file = (rel: string): string => fs.readFileSync(path.join(org3Msp, rel), 'utf8');
    expect(definition.files).toMatchObject({
      'msp/cacerts/ca.org3.example.com-cert.pem': file('cacerts/ca.org3.example.com-cert.pem'),
      'msp/tlscacerts/tlsca.org3.example.com-cert.pem': file('tlscacerts/tlsca.org3.example.com-cert.pem'),
      'tlsca/tlsca.org3.example.com-cert.pem': file('tlscacerts/tlsca.org3.example.com-cert.pem'),
      'peers/peer0.org3.example.com/tls/ca.crt': file('tlscacerts/tlsca.org3.example.com-cert.pem'),
    });
    expect(definition.files['msp/config.yaml']).toContain('Certificate: cacerts/ca.org3.example.com-cert.pem');
    expect(Object.keys(definition.files).some((f) => /keystore|signcerts|users\//.test(f))).toBe(false);
    // The channel gets the printed group plus the first --peer as anchor peer (a group naming none gets one, so the other orgs reach the org).
    expect((definition.group as unknown as Printed).values.AnchorPeers!.value).toEqual({ anchor_peers: [{ host: 'peer0.org3.example.com', port }] });
    expect({ ...definition.group, values: { ...(definition.group.values as object), AnchorPeers: undefined } }).toEqual({ ...printed, values: { ...(printed.values as object), AnchorPeers: undefined } });
  });

  it('takes the peers from the group\'s AnchorPeers (then no --peer), a --domain, a given operations port, and a group without the fields protolator defaults', () => {
    const anchored = fileOf('anchored', (g) => (g.values.AnchorPeers = { mod_policy: 'Admins', value: { anchor_peers: [{ host: '127.0.0.1', port }] }, version: '0' }));
    // A loopback anchor peer says no domain: Weft's default for the name, as new-org names it.
    expect(read(anchored, {}).org).toMatchObject({ domain: 'org3.example.com', peers: [{ name: 'peer0', host: '127.0.0.1', port }] });
    expect(read(anchored, {}).org.peers[0]!.operationsPort).toBeUndefined();
    expect(read(anchored, { domain: 'org3.fabric.test' }).org).toMatchObject({ domain: 'org3.fabric.test' });
    expect(refusal(() => read(anchored, { peers: [`127.0.0.1:${port}`] }))).toMatchObject({ code: 'CONFLICTING_FLAGS', details: { field: '--peer' } });

    // An operations port only where --peer gives one: none is made up.
    const two = read(fileOf('two-peers'), { peers: [`10.0.0.3:${port + 1}:${port + 5}`, `10.0.0.4:${port}`] }).org;
    expect(two.peers).toEqual([
      { name: 'peer0', host: '10.0.0.3', port: port + 1, operationsPort: port + 5 },
      { name: 'peer1', host: '10.0.0.4', port },
    ]);
    // Ports are per host: Fabric's peers each on 7051, and one on the port number the orderer has on this machine.
    const fabric = read(fileOf('fabric-ports'), { peers: ['peer0.org3.example.com:7051', 'peer1.org3.example.com:7051', `peer2.org3.example.com:${spec.ordererOrg.orderers[0]!.port}`] }).org;
    expect(fabric.peers).toEqual([
      { name: 'peer0', host: 'peer0.org3.example.com', port: 7051 },
      { name: 'peer1', host: 'peer1.org3.example.com', port: 7051 },
      { name: 'peer2', host: 'peer2.org3.example.com', port: spec.ordererOrg.orderers[0]!.port },
    ]);
    // The same host and port twice is one peer given twice.
    expect(refusal(() => read(fileOf('same-port'), { peers: [`10.0.0.3:${port}`, `10.0.0.3:${port}`] }))).toMatchObject({ code: 'ADD_ORG_OPTIONS_INVALID', details: { field: '--peer' } });
    // Unpopulated fields left out (an older or hand-trimmed printOrg): protolator reads them as defaults.
    const trimmed = fileOf('trimmed', (g) => {
      for (const key of ['intermediate_certs', 'admins', 'revocation_list', 'signing_identity', 'organizational_unit_identifiers', 'tls_intermediate_certs']) delete g.values.MSP!.value.config[key];
    });
    expect(read(trimmed, { peers: [`127.0.0.1:${port}`] }).org.mspId).toBe('Org3MSP');
  });

  /** An edit setting the group's AnchorPeers to `peers`, as configtxgen prints them. */
  const anchored =
    (...peers: { host: string; port: number | string }[]) =>
    (g: Printed): void => {
      g.values.AnchorPeers = { mod_policy: 'Admins', value: { anchor_peers: peers as { host: string; port: number }[] }, version: '0' };
    };
  const anchorRefusal = (at: string, says: string): Record<string, unknown> => ({
    code: 'ORG_DEFINITION_INVALID',
    details: { field: `values.AnchorPeers.value.anchor_peers${at}` },
    message: expect.stringContaining(says),
  });

  it('takes a group naming several anchor peers: each is a peer of the org, and the channel gets them all, in order', () => {
    const two = [
      { host: 'peer0.org3.example.com', port: 7051 },
      { host: 'peer1.org3.example.com', port: 9051 },
    ];
    const definition = read(fileOf('two-anchors', anchored(...two)), {});
    expect(definition.org).toMatchObject({
      domain: 'org3.example.com',
      peers: [
        { name: 'peer0', host: 'peer0.org3.example.com', port: 7051 },
        { name: 'peer1', host: 'peer1.org3.example.com', port: 9051 },
      ],
    });
    expect(definitionAnchorPeers(definition)).toEqual(two);
    // The group is the printed one, both anchor peers and all: what the definition's check compared the files with.
    expect((definition.group as unknown as Printed).values.AnchorPeers!.value.anchor_peers).toEqual(two);
    // A peer outside the org's domain is named by its place, past the names its other peers took.
    const mixed = read(fileOf('mixed-anchors', anchored({ host: '10.0.0.7', port }, { host: 'peer0.org3.example.com', port })), {});
    expect(mixed.org.peers.map((p) => p.name)).toEqual(['peer0', 'peer1']);
  });

  it('refuses what the channel would not take, naming the JSON path or the flag', () => {
    const peer = { peers: [`127.0.0.1:${port}`] };
    const cases: [string, (g: Printed) => void, PrintOrgOptions, Record<string, unknown>][] = [
      ['no-msp', (g) => delete g.values.MSP, peer, { code: 'ORG_DEFINITION_INVALID', details: { field: 'values.MSP' } }],
      ['idemix', (g) => (g.values.MSP!.value.type = 1), peer, { code: 'ORG_DEFINITION_INVALID', details: { field: 'values.MSP.value.type' } }],
      ['not-base64', (g) => (g.values.MSP!.value.config.root_certs = ['not base64!']), peer, { code: 'ORG_DEFINITION_INVALID', details: { field: 'values.MSP.value.config.root_certs[0]' } }],
      [
        'not-pem',
        (g) => (g.values.MSP!.value.config.root_certs = [Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n').toString('base64')]),
        peer,
        { code: 'ORG_DEFINITION_INVALID', details: { field: 'values.MSP.value.config.root_certs[0]' }, message: expect.stringContaining('not an X.509 certificate') },
      ],
      ['der', (g) => (g.values.MSP!.value.config.tls_root_certs = [Buffer.from('0\x82\x01').toString('base64')]), peer, { code: 'ORG_DEFINITION_INVALID', details: { field: 'values.MSP.value.config.tls_root_certs[0]' } }],
      ['no-roots', (g) => (g.values.MSP!.value.config.root_certs = []), peer, { code: 'ORG_DEFINITION_INVALID', details: { field: 'values.MSP.value.config.root_certs' } }],
      ['taken', (g) => (g.values.MSP!.value.config.name = 'Org1MSP'), peer, { code: 'ORG_EXISTS', details: { field: 'values.MSP.value.config.name' } }],
      ['no-peer', () => undefined, {}, { code: 'ADD_ORG_OPTIONS_INVALID', details: { field: '--peer' } }],
      ['bad-peer', () => undefined, { peers: ['peer0.org3.example.com'] }, { code: 'ADD_ORG_OPTIONS_INVALID', details: { field: '--peer' } }],
      ['bad-domain', () => undefined, { ...peer, domain: 'Org3 Example' }, { code: 'ORG_DEFINITION_INVALID', details: { field: '--domain' } }],
      // Anchor peers: each a reachable {host, port}, each once (localhost and 127.0.0.1 are one machine).
      ['same-anchor', anchored({ host: 'peer0.org3.example.com', port }, { host: 'localhost', port }, { host: '127.0.0.1', port }), {}, anchorRefusal('[2]', 'names 127.0.0.1')],
      ['anchor-host', anchored({ host: 'peer0.org3.example.com', port }, { host: 'peer 1', port }), {}, anchorRefusal('[1].host', '"peer 1"')],
      ['anchor-port', anchored({ host: 'peer0.org3.example.com', port }, { host: 'peer1.org3.example.com', port: 70000 }), {}, anchorRefusal('[1].port', '70000')],
      ['anchor-port-text', anchored({ host: 'peer0.org3.example.com', port: '7051' }), {}, anchorRefusal('[0].port', '"7051"')],
      // A policy other than the test network's NodeOU roles: not the group the channel would get.
      ['policy', (g) => (g.policies.Endorsement!.policy.value.identities[0]!.principal.role = 'MEMBER'), peer, { code: 'ORG_DEFINITION_MISMATCH', details: { field: 'policies.Endorsement.policy.value.identities[0].principal.role' } }],
    ];
    for (const [name, edit, options, expected] of cases) {
      expect([name, refusal(() => read(fileOf(name, edit), options))]).toMatchObject([name, expected]);
    }
  });

  it('takes a bundle file (fabric-ca\'s ca-chain.pem) as configtxgen prints it: one entry, laid out as one file with its bytes', () => {
    const org1Ca = fs.readFileSync(path.join(tmp, 'net', 'organizations', 'peerOrganizations', 'org1.example.com', 'msp', 'cacerts', 'ca.org1.example.com-cert.pem'), 'utf8');
    let chain = '';
    const bundled = fileOf('ca-chain', (g) => {
      chain = `${Buffer.from(g.values.MSP!.value.config.root_certs[0]!, 'base64').toString()}${org1Ca.trimEnd()}`;
      g.values.MSP!.value.config.root_certs = [Buffer.from(chain).toString('base64')];
    });
    const definition = read(bundled, { peers: [`127.0.0.1:${port}`] });
    expect(Object.entries(definition.files).filter(([f]) => f.startsWith('msp/cacerts/'))).toEqual([['msp/cacerts/ca.org3.example.com-cert.pem', chain]]);
    expect(((definition.group as unknown as Printed).values.MSP!.value.config.root_certs)).toEqual([Buffer.from(chain).toString('base64')]);
  });

  it('refuses a private key anywhere in it, before anything is derived', () => {
    const key = fs.readFileSync(path.join(tmp, 'org3', 'organizations/peerOrganizations/org3.example.com/users/Admin@org3.example.com/msp/keystore/priv_sk'));
    const inRoots = fileOf('key', (g) => (g.values.MSP!.value.config.root_certs = [key.toString('base64')]));
    expect(refusal(() => read(inRoots, { peers: [`127.0.0.1:${port}`] }))).toMatchObject({ code: 'ORG_DEFINITION_HAS_PRIVATE_KEY', details: { field: 'values.MSP.value.config.root_certs[0]' } });
    const signer = fileOf('signer', (g) => (g.values.MSP!.value.config.signing_identity = { public_signer: 'AA==', private_signer: { key_identifier: 'k', key_material: key.toString('base64') } }));
    expect(refusal(() => read(signer, { peers: [`127.0.0.1:${port}`] }))).toMatchObject({ code: 'ORG_DEFINITION_HAS_PRIVATE_KEY', details: { field: 'values.MSP.value.config.signing_identity' } });
  });

  it("a group from another layout (two roots, admin certificates, an OU certificate of its own) lays out to the same group", () => {
    // Not cryptogen's layout: Fabric CA users point config.yaml anywhere in the MSP folder.
    const org = path.join(tmp, 'other');
    const folder = path.join(org, 'msp');
    fs.cpSync(org3Msp, folder, { recursive: true });
    const users = path.join(org3Msp, '..', 'users');
    const admin = fs.readFileSync(path.join(users, 'Admin@org3.example.com', 'msp', 'signcerts', 'Admin@org3.example.com-cert.pem'), 'utf8');
    const user1 = fs.readFileSync(path.join(users, 'User1@org3.example.com', 'msp', 'signcerts', 'User1@org3.example.com-cert.pem'), 'utf8');
    const tlsCa = fs.readFileSync(path.join(org3Msp, 'tlscacerts', 'tlsca.org3.example.com-cert.pem'), 'utf8');
    fs.mkdirSync(path.join(folder, 'admincerts'));
    fs.writeFileSync(path.join(folder, 'admincerts', 'admin.pem'), user1);
    fs.mkdirSync(path.join(folder, 'elsewhere'));
    fs.writeFileSync(path.join(folder, 'elsewhere', 'ou.pem'), admin);
    fs.writeFileSync(path.join(folder, 'config.yaml'), 'NodeOUs:\n  Enable: true\n  ClientOUIdentifier:\n    Certificate: elsewhere/ou.pem\n    OrganizationalUnitIdentifier: client\n  PeerOUIdentifier:\n    OrganizationalUnitIdentifier: peer\n');
    fs.writeFileSync(path.join(folder, 'cacerts', 'zz-second-root.pem'), tlsCa);
    const group = orgGroupJson(orgGroupOf(org, { mspId: 'Org3MSP', peers: [{ name: 'peer0', host: '127.0.0.1', port, operationsPort: port + 1 }] } as PeerOrgSpec));
    const file = path.join(tmp, 'other.json');
    fs.writeFileSync(file, JSON.stringify(group));
    const definition = read(file, {});
    expect(Object.keys(definition.files).filter((f) => f.startsWith('msp/cacerts/'))).toEqual(['msp/cacerts/00-ca.org3.example.com-cert.pem', 'msp/cacerts/01-ca.org3.example.com-cert.pem']);
    expect(definition.files['msp/admincerts/Admin@org3.example.com-cert.pem']).toBe(user1);
    expect(definition.files['msp/oucerts/ou-0.pem']).toBe(admin);
    expect(definition.files['msp/config.yaml']).toContain('Certificate: oucerts/ou-0.pem');
  });
});
