import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pino from 'pino';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import { NetworkLayout, type NodeLayout } from '../../../../cli/services/network/network-layout';
import { loadNetworkSpec } from '../../../../cli/services/network/network-spec';
import { nodeLogSpecs } from '../../../../cli/services/network/node-logspec';
import { WeftError } from '../../../../core/errors';
import { NodeLogging } from '../../../../core/node/logger';
import { OperationsServer, readOperationsTls } from '../../../../core/node/operations/operations-server';
import { parsePeerConfig } from '../../../../core/peer/peer-config';
import { loadNodeConfig } from '../../../../core/node/config';

/** A peer's operations endpoint as its generated config makes it, at its network.yaml address, over a NodeLogging of its own; `clientRootCAs` replaces its roots. */
async function startPeerOperations(peer: NodeLayout, clientRootCAs?: string[]): Promise<{ server: OperationsServer; logging: NodeLogging }> {
  const tls = parsePeerConfig(loadNodeConfig(peer.configFile)).peer.operations!.tls!;
  const logging = new NodeLogging('warn', {}, pino(pino.destination({ dest: '/dev/null', sync: true })));
  const server = new OperationsServer({
    listenAddress: peer.operationsAddress!,
    version: 'test',
    logging,
    tls: readOperationsTls(
      'peer.operations.tls',
      { cert: tls.certFile!, key: tls.keyFile!, clientRootCAs: clientRootCAs ?? tls.rootCertFiles, clientAuthRequired: tls.clientAuthRequired },
      { cert: 'certFile', key: 'keyFile', clientRootCAs: 'rootCertFiles' },
    ),
  });
  await server.start();
  return { server, logging };
}

async function failure(run: Promise<unknown>): Promise<WeftError> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WeftError);
  return err as WeftError;
}

const quiet = (): void => undefined;

/** `weft network logspec` against real operations servers (HTTPS, client certificates) of a --mutual-tls network directory. */
describe("reading and setting nodes' logging spec from a network directory", () => {
  let tmp: string;
  let dir: string;
  let layout: NetworkLayout;
  let orderer: NodeLayout;
  let peer1: NodeLayout;
  let peer2: NodeLayout;
  const servers: OperationsServer[] = [];
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-logspec-'));
    dir = path.join(tmp, 'net');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, mutualTls: true, basePort: await findFreePorts(9) });
    layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    [orderer, peer1, peer2] = layout.nodes() as [NodeLayout, NodeLayout, NodeLayout];
    expect(peer1.operationsTls).toBe(true);
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("reads a node's spec, sets a new one with its org's client certificate and reads it back", async () => {
    const { server, logging } = await startPeerOperations(peer1);
    servers.push(server);
    expect(await nodeLogSpecs(dir, { nodes: [peer1.id] }, quiet)).toEqual({ nodes: [{ id: peer1.id, kind: 'peer', mspId: 'Org1MSP', spec: 'warn' }], notRunning: [] });
    const set = await nodeLogSpecs(dir, { org: 'Org1', spec: 'info:committer,peer.blocksprovider=DEBUG' }, quiet);
    expect(set).toEqual({ requested: 'committer=debug:peer.blocksprovider=debug:info', nodes: [{ id: peer1.id, kind: 'peer', mspId: 'Org1MSP', spec: 'committer=debug:peer.blocksprovider=debug:info', previous: 'warn' }], notRunning: [] });
    expect(logging.spec).toBe('committer=debug:peer.blocksprovider=debug:info');
    expect(logging.logger('committer').level).toBe('debug');
  });

  it('refuses a spec the node would refuse before sending it, naming --spec and the segment', async () => {
    const { server, logging } = await startPeerOperations(peer1);
    servers.push(server);
    const err = await failure(nodeLogSpecs(dir, { nodes: [peer1.id], spec: 'info:committer=loud' }, quiet));
    expect(err).toMatchObject({ code: 'LOG_SPEC_INVALID', details: { field: '--spec', segment: 'committer=loud' } });
    expect(err.message).toMatch(/^--spec: invalid logging spec "info:committer=loud": unknown level/);
    expect(logging.spec).toBe('warn');
  });

  it('changes no node when one of those named is not running, saying how to start it', async () => {
    const { server, logging } = await startPeerOperations(peer1);
    servers.push(server);
    const err = await failure(nodeLogSpecs(dir, { nodes: [peer1.id, orderer.id], spec: 'debug' }, quiet));
    expect(err).toMatchObject({ code: 'NODE_NOT_RUNNING', details: { node: orderer.id, suggestions: expect.arrayContaining([`start it: weft network up ${dir} --node ${orderer.id} (on its host)`]) } });
    expect(err.message).toContain(`${orderer.id} is not running: no process of it runs from this directory, and nothing answers at https://${orderer.operationsAddress}/logspec`);
    expect(err.message).toMatch(/; nothing was changed$/);
    expect(logging.spec).toBe('warn');
  });

  it('reports a node that refuses the certificate (401) with what was presented and what it takes, changing nothing', async () => {
    // As if its config listed another org's TLS CA for operations clients.
    const { server, logging } = await startPeerOperations(peer2, [layout.orgTlsCaCert(layout.spec.orgs[0])]);
    servers.push(server);
    const err = await failure(nodeLogSpecs(dir, { nodes: [peer2.id], spec: 'debug' }, quiet));
    expect(err).toMatchObject({ code: 'OPERATIONS_UNAUTHORIZED', details: { node: peer2.id, status: 401 } });
    expect(err.message).toContain(`${peer2.id} refused GET /logspec (401: /logspec needs a client certificate`);
    expect(err.message).toContain('this directory presented the certificate of');
    expect(err.message).toContain('Admin@org2.example.com');
    expect(logging.spec).toBe('warn');
  });

  it('names every node that failed, and an unknown node or org before asking any', async () => {
    const err = await failure(nodeLogSpecs(dir, { nodes: [peer1.id, peer2.id] }, quiet));
    expect(err.code).toBe('NODE_NOT_RUNNING');
    expect(err.message).toMatch(/^2 of 2 nodes failed:\n {2}peer0\.org1\.example\.com is not running[^\n]+\n {2}peer0\.org2\.example\.com is not running/);
    expect((err.details.failures as unknown[]).length).toBe(2);
    expect(await failure(nodeLogSpecs(dir, { nodes: ['peer9.org1.example.com'] }, quiet))).toMatchObject({ code: 'UNKNOWN_NODE', details: { field: '--node' } });
    expect(await failure(nodeLogSpecs(dir, { org: 'Org9' }, quiet))).toMatchObject({ code: 'UNKNOWN_ORG', details: { field: '--org' } });
  });

  it('by default takes the running nodes run from the directory: none here, so it says to start them', async () => {
    const err = await failure(nodeLogSpecs(dir, {}, quiet));
    expect(err).toMatchObject({ code: 'NODE_NOT_RUNNING', details: { suggestions: [`start them: weft network up ${dir}`] } });
    expect(err.message).toContain(`none of the nodes run from ${dir} is running (${orderer.id}, ${peer1.id}, ${peer2.id})`);
  });
});
