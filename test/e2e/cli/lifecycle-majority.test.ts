import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { KV_EVENTS_DIR } from '../../integration/peer/network-fixture';
import { startContractServer } from '../../integration/chaincode/ccaas-server-process';
import { errorOf, json, REPO, runCli } from './run-cli';

/**
 * The lifecycle step by step on a 3-org channel, whose LifecycleEndorsement policy is Fabric's
 * default MAJORITY: as with Fabric's `peer lifecycle chaincode commit`, two orgs' approvals commit
 * a definition the third has not approved, and one org's does not. The same network then runs a
 * chaincode server through the CLI, as the README's "Chaincode as a service" section does.
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
    // An ID installed on none of the org's peers (here cut short) and a policy naming an MSP outside the
    // channel are approved, as Fabric approves them, but each with a warning saying what will fail.
    const ghost = await runCli(['chaincode', 'approve', net, '--org', 'Org1', '--name', 'ghost', '--package-id', packageId.slice(0, 20), '--policy', "OR('Org1MSP.peer', 'Org9MSP.peer')", '--json']);
    expect(json(ghost)).toMatchObject({ mspId: 'Org1MSP', sequence: 1 });
    expect(ghost.message).toContain(
      "warning: the endorsement policy OR('Org1MSP.peer', 'Org9MSP.peer') names Org9MSP, which is not a member of channel mychannel (its members: Org1MSP, Org2MSP, Org3MSP)",
    );
    expect(ghost.message).toContain(
      `warning: package ${packageId.slice(0, 20)} is installed on none of Org1MSP's peers (peer0.org1.example.com), so they cannot run the chaincode as approved: they have ${packageId}; ` +
        'approve again with one of those (--package-id), or install the package: weft chaincode install <dir> <package file> --org Org1',
    );
    // The same warning from check-commit-readiness and commit, which are given the definition again.
    const outsidePolicy = "warning: the endorsement policy OR('Org1MSP.peer', 'Org9MSP.peer') names Org9MSP, which is not a member of channel mychannel";
    const ghostDefinition = ['--name', 'ghost', '--sequence', '1', '--policy', "OR('Org1MSP.peer', 'Org9MSP.peer')", '--json'];
    const ghostReadiness = await runCli(['chaincode', 'check-commit-readiness', net, ...ghostDefinition]);
    expect(json(ghostReadiness)).toMatchObject({ approvals: { Org1MSP: true, Org2MSP: false, Org3MSP: false } });
    expect(ghostReadiness.message).toContain(outsidePolicy);
    const ghostCommit = await runCli(['chaincode', 'commit', net, ...ghostDefinition]);
    expect(errorOf(ghostCommit).code).toBe('NOT_READY');
    expect(ghostCommit.message).toContain(outsidePolicy);
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

  it('runs the README\'s chaincode-as-a-service flow on the same network: package --ccaas, the server, deploy, invoke, query', async () => {
    const port = await findFreePorts(1);
    const pkg = path.join(tmp, 'kvsvc.tar.gz');
    const packaged = json(await runCli(['chaincode', 'package', '--ccaas', `127.0.0.1:${port}`, '--label', 'kvsvc_1', '--dial-timeout', '10s', '--output', pkg, '--json'])) as {
      packageId: string;
      serverCommand: string;
    };
    expect(packaged.serverCommand).toContain(`--chaincode-id ${packaged.packageId}`);
    // The server as the README starts it: fabric-chaincode-node serving a contract project, under the printed package ID.
    const server = await startContractServer(packaged.packageId, port, KV_EVENTS_DIR);
    try {
      const deployed = json(await runCli(['chaincode', 'deploy', net, pkg, '--name', 'kvsvc', '--json']));
      expect(deployed).toMatchObject({ name: 'kvsvc', sequence: 1, installedOn: ['peer0.org1.example.com', 'peer0.org2.example.com', 'peer0.org3.example.com'] });
      const put = json(await runCli(['chaincode', 'invoke', net, '--name', 'kvsvc', 'Put', 'color', 'green', '--json']));
      expect(put).toMatchObject({ validationCode: 'VALID' });
      // Each org's peer dials the one server: a query through Org3's peer reads what Org1's committed.
      expect(json(await runCli(['chaincode', 'query', net, '--name', 'kvsvc', '--org', 'Org3', 'Get', 'color', '--json']))).toMatchObject({ result: 'green' });
      expect(json(await runCli(['chaincode', 'invoke', net, '--name', 'kvsvc', '--org', 'Org2', 'Increment', 'count', '--json']))).toMatchObject({ validationCode: 'VALID', result: '1' });
    } finally {
      await server.stop();
    }
    // With the server stopped, the endorser says it could not connect: the remedy is to start it where the package points.
    const startIt = `start the chaincode server at 127.0.0.1:${port}, where the package's connection.json points the peers: ${packaged.serverCommand}`;
    const stopped = await runCli(['chaincode', 'invoke', net, '--name', 'kvsvc', 'Put', 'color', 'red', '--json']);
    expect(errorOf(stopped).code).toBe('GATEWAY_FAILED');
    expect((JSON.parse(stopped.stdout) as { suggestions: string[] }).suggestions).toEqual([startIt]);
    // An evaluate asks each org's peer in turn, each waiting the 10 s dial timeout: the CLI's 30 s deadline runs out on the
    // third. The Gateway answers DEADLINE_EXCEEDED just before it, with what the first two said, so the remedy shows too.
    const query = await runCli(['chaincode', 'query', net, '--name', 'kvsvc', 'Get', 'color', '--json']);
    expect(errorOf(query)).toMatchObject({ code: 'GATEWAY_FAILED', details: { grpcCode: 4, endorsers: [expect.stringMatching(/^Org1MSP .*is the chaincode server running/), expect.anything(), expect.anything()] } });
    expect((JSON.parse(query.stdout) as { suggestions: string[] }).suggestions).toEqual([startIt]);
  }, 180_000);
});
