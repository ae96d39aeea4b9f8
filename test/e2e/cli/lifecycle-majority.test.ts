import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { json, REPO, runCli } from './run-cli';

/**
 * The lifecycle step by step on a 3-org channel, whose LifecycleEndorsement policy is Fabric's
 * default MAJORITY: as with Fabric's `peer lifecycle chaincode commit`, two orgs' approvals commit
 * a definition the third has not approved, and one org's does not.
 */
describe('weft chaincode commit with a majority of orgs (real processes)', () => {
  let tmp: string;
  let net: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-majority-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(9);
    json(await runCli(['network', 'init', net, '--orgs', '3', '--base-port', String(base), '--batch-timeout', '250ms', '--json']));
    json(await runCli(['network', 'up', net, '--json']));
  }, 120_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('commits what Org1 and Org2 approved without Org3, and refuses what Org1 alone approved', async () => {
    const pkg = path.join(tmp, 'basic.tar.gz');
    const { packageId } = json(await runCli(['chaincode', 'package', path.join(REPO, 'chaincode-examples', 'asset-transfer'), '--label', 'basic_1.0', '--output', pkg, '--json'])) as { packageId: string };
    for (const org of ['Org1', 'Org2']) {
      json(await runCli(['chaincode', 'install', net, pkg, '--org', org, '--json']));
      json(await runCli(['chaincode', 'approve', net, '--org', org, '--name', 'basic', '--package-id', packageId, '--sequence', '1', '--json']));
    }
    const readiness = json(await runCli(['chaincode', 'check-commit-readiness', net, '--name', 'basic', '--sequence', '1', '--json']));
    expect(readiness).toMatchObject({ approvals: { Org1MSP: true, Org2MSP: true, Org3MSP: false } });

    // Before: every org's peer was asked to endorse, and Org3's refused ("not agreed to by this org (Org3MSP)").
    const committed = json(await runCli(['chaincode', 'commit', net, '--name', 'basic', '--sequence', '1', '--json']));
    expect(committed).toMatchObject({ sequence: 1, transactionId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const invoked = json(await runCli(['chaincode', 'invoke', net, '--name', 'basic', 'CreateAsset', 'asset1', 'blue', '5', 'Tomoko', '300', '--json']));
    expect(invoked).toMatchObject({ validationCode: 'VALID' });

    json(await runCli(['chaincode', 'approve', net, '--org', 'Org1', '--name', 'basic', '--version', '2.0', '--package-id', packageId, '--sequence', '2', '--json']));
    const lone = await runCli(['chaincode', 'commit', net, '--name', 'basic', '--version', '2.0', '--sequence', '2', '--json']);
    expect(lone.code).not.toBe(0);
    const { error, suggestions } = JSON.parse(lone.stdout) as { error: { code: string; message: string }; suggestions: string[] };
    expect(error.code).toBe('NOT_READY');
    expect(error.message).toMatch(/the orgs that approved \(Org1MSP\) are not enough for the channel's LifecycleEndorsement policy/);
    expect(suggestions).toEqual(['more orgs must approve the same definition: Org2MSP, Org3MSP']);
    expect(json(await runCli(['chaincode', 'query-committed', net, '--name', 'basic', '--json']))).toMatchObject({
      definitions: [{ name: 'basic', sequence: 1, version: '1.0', approvals: { Org1MSP: true, Org2MSP: true, Org3MSP: false } }],
    });
  }, 180_000);
});
