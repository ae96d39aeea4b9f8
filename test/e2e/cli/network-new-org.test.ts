import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { errorOf, json, REPO, runCli } from './run-cli';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** The base64 body of every PEM private key in `file`. */
function privateKeysIn(file: string): string[] {
  return [...fs.readFileSync(file, 'latin1').matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/g)].map((m) => m[1]!.replace(/\s/g, ''));
}

/**
 * Adding an org that is another company (real processes, one network): Org3 makes its own keys in
 * its own directory (`weft network new-org`) and hands over its definition, certificates only, as
 * Fabric's new org hands over `configtxgen -printOrg`'s JSON. Org1 and Org2 each keep their own
 * directory (exported): Org1 prepares the update from the definition, Org2 signs and submits it;
 * Org3 completes its directory from Org2's certificates-only export, starts its peer, installs the
 * chaincode and invokes as its own user, endorsed by its own peer. No file under the members'
 * directories holds any of Org3's private keys, before or after.
 */
describe('weft network new-org / add-org --definition / join (2 orgs + 1 that makes its own keys, real processes)', () => {
  let tmp: string;
  let net: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-neworg-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(9);
    json(await runCli(['network', 'init', net, '--base-port', String(base), '--batch-timeout', '250ms', '--json']));
    expect((await runCli(['network', 'up', net])).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await runCli(['network', 'down', path.join(tmp, 'org3'), '--grace', '5']);
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("Org3 makes its own keys; Org1 prepares from its definition, Org2 signs and submits; Org3 joins and invokes, endorsed by its own peer; no member holds an Org3 key; a majority directory adds Org4 from its definition in one step; a channel update reaches every member's network.yaml", async () => {
    const [org1, org2, org3, org4, pub] = ['org1', 'org2', 'org3', 'org4', 'for-org3'].map((d) => path.join(tmp, d)) as [string, string, string, string, string];
    const update = path.join(tmp, 'add-org3.pb');
    const project = path.join(REPO, 'chaincode-examples', 'asset-transfer');
    // The chaincode runs before Org3 exists; its policy lets Org3's peer alone endorse.
    const [, , , deployed] = await Promise.all([
      runCli(['network', 'export', net, org1, '--org', 'Org1', '--json']),
      runCli(['network', 'export', net, org2, '--org', 'Org2', '--json']),
      (async () => json(await runCli(['network', 'new-org', org3, '--name', 'Org3', '--base-port', String(await findFreePorts(2)), '--json'])))(),
      runCli(['chaincode', 'deploy', net, project, '--name', 'basic', '--policy', "OR('Org1MSP.peer','Org3MSP.peer')", '--json'], { timeoutMs: 120_000 }),
    ]);
    expect(json(deployed)).toMatchObject({ committed: true });
    const definition = path.join(org3, 'org-definition.json');
    expect(fs.readFileSync(definition, 'utf8')).not.toMatch(/PRIVATE KEY/);

    // The member step run in the new org's own directory is refused.
    // Org1's Admin alone cannot add it (a MAJORITY of Org1 and Org2 is both): the refusal names the flow with --output.
    const [inOwnDir, alone, prepare] = await Promise.all([
      runCli(['network', 'add-org', org3, '--definition', definition, '--json']),
      runCli(['network', 'add-org', org1, '--definition', definition, '--json']),
      runCli(['network', 'add-org', org1, '--definition', definition, '--output', update, '--json']),
    ]);
    expect(errorOf(inOwnDir)).toMatchObject({ code: 'NEW_ORG_DIR', details: { field: 'dir' } });
    expect(errorOf(alone)).toMatchObject({ code: 'CONFIG_UPDATE_UNSIGNED', details: { suggestions: expect.arrayContaining([expect.stringContaining(`--definition ${definition} --output`)]) } });
    const prepared = json(prepare);
    expect(prepared).toMatchObject({ org: 'Org3', mspId: 'Org3MSP', submitted: false, definition, signedBy: ['Org1MSP'], stillToSign: ['Org2MSP'] });
    expect(json(await runCli(['channel', 'sign-update', org2, update, '--org', 'Org2', '--json']))).toMatchObject({ signedBy: ['Org1MSP', 'Org2MSP'] });
    const submitted = json(await runCli(['network', 'add-org', org2, '--from-file', update, '--definition', definition, '--json']));
    expect(submitted).toMatchObject({ org: 'Org3', channel: 'mychannel', submitted: true, signedBy: ['Org1MSP', 'Org2MSP'], recorded: true });
    expect(fs.readFileSync(path.join(org2, 'network.yaml'), 'utf8')).toContain('Org3MSP');
    // The channel has Org3 now: a second update adding it is refused, naming the org. Meanwhile Org3 joins from Org2's certificates-only export.
    const [again] = await Promise.all([
      runCli(['network', 'add-org', org1, '--definition', definition, '--output', `${update}.again`, '--json']),
      (async () => {
        json(await runCli(['network', 'export', org2, pub, '--public', '--json']));
        expect(json(await runCli(['network', 'join', org3, '--from', pub, '--json']))).toMatchObject({ org: 'Org3', channel: 'mychannel', peers: ['peer0.org3.example.com'], listedByMember: true });
        expect(json(await runCli(['network', 'up', org3, '--json'])).nodes).toEqual(['peer0.org3.example.com']);
      })(),
    ]);
    expect(errorOf(again)).toMatchObject({ code: 'ORG_ALREADY_MEMBER' });

    const org4Made = (async () => json(await runCli(['network', 'new-org', org4, '--name', 'Org4', '--base-port', String(await findFreePorts(2)), '--json'])))();
    await Promise.all([
      (async () => {
        // Org3 installs the chaincode and approves the committed definition (sequence 1) for itself, as Fabric's new org
        // does (approveformyorg --sequence 1): deploy sees the definition committed without Org3's approval and commits nothing.
        const deployedHere = json(await runCli(['chaincode', 'deploy', org3, project, '--name', 'basic', '--policy', "OR('Org1MSP.peer','Org3MSP.peer')", '--json'], { timeoutMs: 120_000 }));
        expect(deployedHere).toMatchObject({ sequence: 1, installedOn: ['peer0.org3.example.com'], approvedBy: ['Org3MSP'], committed: true });
        expect(deployedHere.commitTransactionId).toBeUndefined();
        const invoke = ['chaincode', 'invoke', org3, '--name', 'basic', '--org', 'Org3', '--user', 'User1', '--endorsing-orgs', 'Org3MSP', 'CreateAsset', 'a3', 'blue', '3', 'Org3', '30', '--json'];
        expect(json(await runCli(invoke))).toMatchObject({ valid: true });
      })(),
      (async () => {
        // A channel update written in the init directory (the orderer org's Admin signs batch settings) and submitted from Org1's:
        // Org2's directory records it with the same --from-file (nothing is submitted again), so its network.yaml is not left stale.
        const batch = path.join(tmp, 'batch.pb');
        json(await runCli(['channel', 'update', net, '--batch-timeout', '300ms', '--output', batch, '--json']));
        expect(json(await runCli(['channel', 'update', org1, '--from-file', batch, '--json']))).toMatchObject({ submitted: true, networkFileUpdated: true });
        expect(json(await runCli(['channel', 'update', org2, '--from-file', batch, '--json']))).toMatchObject({ submitted: false, recorded: true, networkFileUpdated: true });
        expect(fs.readFileSync(path.join(org2, 'network.yaml'), 'utf8')).toMatch(/batchTimeout: 300ms/);
        // A directory holding a majority of the Admins adds an org from its definition in one step: signed, submitted, recorded.
        const org4Definition = path.join((await org4Made).dir as string, 'org-definition.json');
        expect(json(await runCli(['network', 'add-org', net, '--definition', org4Definition, '--json']))).toMatchObject({ org: 'Org4', submitted: true, signedBy: ['Org1MSP', 'Org2MSP'], recorded: true });
        expect(fs.readFileSync(path.join(net, 'network.yaml'), 'utf8')).toContain('Org4MSP');
      })(),
    ]);

    // Org3's and Org4's keys are in their own directories only: no file of a member's, or of what they exchanged, holds one.
    const newKeys = new Set([org3, org4].flatMap(filesUnder).flatMap(privateKeysIn));
    expect(newKeys.size).toBeGreaterThanOrEqual(16);
    const exchanged = [org1, org2, pub, net].flatMap(filesUnder).concat(update);
    const leaked = exchanged.filter((f) => privateKeysIn(f).some((k) => newKeys.has(k)));
    expect(leaked).toEqual([]);
  }, 150_000);
});
