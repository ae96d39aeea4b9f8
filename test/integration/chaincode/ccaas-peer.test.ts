/**
 * Chaincode as a service through a real 2-org network: each peer dials real chaincode servers
 * (child processes: a fabric-shim `ChaincodeServer`, and a fabric-contract-api project under
 * `fabric-chaincode-node server`) for `ccaas` packages, while `node` packages keep running in the
 * isolated-vm sandbox, with no change to the peers' YAML.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Contract } from '@hyperledger/fabric-gateway';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import { type CcaasConnectionJson, packageCcaas } from '../../../core/chaincode/ccaas-packager';
import { BUILDER_CONFIG_ENV } from '../../../core/chaincode/ccaas-templates';
import { collectionPackage } from '../../support/lifecycle-collections';
import { deployChaincodeInProcess, deployKvInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from '../peer/in-process-network';
import { CALLS_DIR, CHANNEL, KV_EVENTS_DIR, eventually, failureOf, freePort, install, propose, rawEndorser, signerOf } from '../peer/network-fixture';
import { type ServerProcess, startContractServer, startShimServer } from './ccaas-server-process';

const utf8 = new TextDecoder();
/** A fabric-shim chaincode relaying `call <chaincode> <args…>`: deployed twice, two sandboxes of a chain. */
const RELAY_DIR = path.join(__dirname, 'fixtures', 'relay');
const COLLECTION = 'shared';
/** The runtime slot's `maxValueBytes` on both peers, lowered from 8 MiB. */
const MAX_VALUE_BYTES = 16 * 1024;

/** Installs `packageBytes` on both peers, approves it as `name` for both orgs and commits the definition. */
/** Installs, approves and commits a built package as `name` (with the test collection when asked). */
function deployPackage(net: InProcessNetwork, name: string, packageId: string, packageBytes: Uint8Array, withCollection = false): Promise<string> {
  return deployChaincodeInProcess(net, { built: { packageBytes, packageId }, name, collections: withCollection ? collectionPackage({ name: COLLECTION }) : undefined });
}

/** A ccaas package for a server on 127.0.0.1:`port`, deployed as `name`. */
async function deployService(net: InProcessNetwork, name: string, port: number, more: Partial<CcaasConnectionJson> = {}, withCollection = false): Promise<string> {
  const built = await packageCcaas({ label: `${name}_1`, connection: { address: `127.0.0.1:${port}`, dial_timeout: '10s', ...more } });
  await deployPackage(net, name, built.packageId, built.packageBytes, withCollection);
  return built.packageId;
}

/** The read/write set of `namespace` (the chaincode's own by default) of a proposal to Org1's peer, with its response and event. */
async function simulate(
  net: InProcessNetwork,
  chaincode: string,
  args: readonly string[],
  namespace = chaincode,
): Promise<{ status: number; message: string; rwset: KVRWSet.AsObject; event: ChaincodeEvent | undefined }> {
  const endorser = rawEndorser(net.m.orgs[0], net.ports[0]);
  try {
    const res = await propose(endorser, signerOf(net.m.orgs[0]), CHANNEL, chaincode, args);
    const action = res.payload?.action;
    const ns = TxReadWriteSet.deserializeBinary(action?.results ?? new Uint8Array(0))
      .getNsRwsetList()
      .find((n) => n.getNamespace() === namespace);
    const events = action?.events ?? new Uint8Array(0);
    return {
      status: res.response.status,
      message: res.response.message,
      rwset: KVRWSet.deserializeBinary(ns?.getRwset_asU8() ?? new Uint8Array(0)).toObject(),
      event: events.length === 0 ? undefined : ChaincodeEvent.deserializeBinary(events),
    };
  } finally {
    endorser.close();
  }
}

describe('chaincode as a service: Weft peers dial Fabric chaincode servers', () => {
  let net: InProcessNetwork;
  const servers: ServerProcess[] = [];
  let svc: Contract;
  let svcId: string;
  let svcPort: number;

  /** The port `connection.json` templates name as `{{.ccport}}`, from the peers' CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG. */
  let templatedPort: number;
  const builderConfigBefore = process.env[BUILDER_CONFIG_ENV];

  beforeAll(async () => {
    templatedPort = await freePort();
    // Both in-process peers read it as they start, as Fabric's builder reads the peer's environment.
    process.env[BUILDER_CONFIG_ENV] = JSON.stringify({ ccport: templatedPort });
    // A lowered value limit for chaincode, in the runtime slot's options: it binds chaincode servers too.
    net = await startInProcessNetwork({ prefix: 'weft-ccaas-', runtimeOptions: { maxValueBytes: MAX_VALUE_BYTES } });
    svcPort = await freePort();
    const built = await packageCcaas({ label: 'svc_1', connection: { address: `127.0.0.1:${svcPort}`, dial_timeout: '10s' } });
    svcId = built.packageId;
    servers.push(await startShimServer(svcId, svcPort));
    await deployPackage(net, 'svc', svcId, built.packageBytes, true);
    await deployKvInProcess(net);
    svc = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('svc');
  }, 180_000);

  afterAll(async () => {
    if (builderConfigBefore === undefined) delete process.env[BUILDER_CONFIG_ENV];
    else process.env[BUILDER_CONFIG_ENV] = builderConfigBefore;
    await net?.close();
    for (const s of servers) await s.stop();
  });

  it('puts, reads and deletes state through the chaincode server, committed on both peers', async () => {
    expect(utf8.decode(await svc.submitTransaction('put', 'color', 'green'))).toBe('green');
    expect(utf8.decode(await svc.evaluateTransaction('get', 'color'))).toBe('green');
    await svc.submitTransaction('del', 'color');
    expect(await failureOf(svc.evaluateTransaction('get', 'color'))).toContain('key color does not exist');
  });

  it('answers range queries in Fabric batches and pages, rich queries and history', async () => {
    // 150 keys: the range needs a QUERY_STATE_NEXT after the first batch of 100.
    await svc.submitTransaction('fill', 'item', '150');
    const all = JSON.parse(utf8.decode(await svc.evaluateTransaction('range', 'item', 'item~'))) as string[];
    expect(all).toHaveLength(150);
    expect(all[149]).toBe('item149');
    const first = JSON.parse(utf8.decode(await svc.evaluateTransaction('page', 'item', 'item~', '2', ''))) as { keys: string[]; bookmark: string; count: number };
    expect(first).toEqual({ keys: ['item000', 'item001'], bookmark: 'item002', count: 2 });
    const second = JSON.parse(utf8.decode(await svc.evaluateTransaction('page', 'item', 'item~', '2', first.bookmark))) as { keys: string[] };
    expect(second.keys).toEqual(['item002', 'item003']);
    const blue = JSON.parse(utf8.decode(await svc.evaluateTransaction('rich', JSON.stringify({ selector: { color: 'blue', n: { $lt: 6 } } })))) as string[];
    expect(blue.sort()).toEqual(['item001', 'item003', 'item005']);

    await svc.submitTransaction('put', 'h', 'one');
    await svc.submitTransaction('put', 'h', 'two');
    await svc.submitTransaction('del', 'h');
    const history = JSON.parse(utf8.decode(await svc.evaluateTransaction('history', 'h'))) as { value: string; isDelete: boolean }[];
    expect(history.map((h) => [h.value, h.isDelete])).toEqual([
      ['', true],
      ['two', false],
      ['one', false],
    ]);
  });

  it('carries the chaincode event and a chaincode error message verbatim', async () => {
    const simulated = await simulate(net, 'svc', ['event', 'Minted', 'payload-1']);
    expect(simulated.status).toBe(200);
    expect(simulated.event?.getEventName()).toBe('Minted');
    expect(utf8.decode(simulated.event?.getPayload_asU8())).toBe('payload-1');
    expect(simulated.event?.getChaincodeId()).toBe('svc');
    expect(await failureOf(svc.evaluateTransaction('fail', 'asset 7 is locked by Org2MSP'))).toContain('asset 7 is locked by Org2MSP');
  });

  it('writes and reads private data with the value as transient data', async () => {
    await svc.submit('putPrivate', { arguments: [COLLECTION, 'secret'], transientData: { value: Buffer.from('s3cr3t') } });
    expect(utf8.decode(await svc.evaluateTransaction('getPrivate', COLLECTION, 'secret'))).toBe('s3cr3t');
  });

  it('calls between sandboxed chaincode and a chaincode server both ways, recording the callee\'s writes in the caller\'s transaction', async () => {
    const kv = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kv');
    await kv.submitTransaction('Put', 'greeting', 'hello');
    expect(utf8.decode(await svc.evaluateTransaction('call', 'kv', 'Get', 'greeting'))).toBe('hello');
    await deployChaincodeInProcess(net, { projectDir: CALLS_DIR, label: 'calls_1', name: 'calls' });
    const calls = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('calls');
    const simulated = await simulate(net, 'calls', ['PutVia', 'svc', 'fromsandbox', 'yes'], 'svc');
    expect([simulated.status, simulated.message]).toEqual([200, '']);
    expect(simulated.rwset.writesList).toEqual([{ key: 'fromsandbox', isDelete: false, value: Buffer.from('yes').toString('base64') }]);
    expect(utf8.decode(await calls.submitTransaction('PutVia', 'svc', 'fromsandbox', 'yes'))).toBe('yes');
    await peersInSync(net.peers);
    expect(utf8.decode(await svc.evaluateTransaction('get', 'fromsandbox'))).toBe('yes');
    expect(utf8.decode(await calls.evaluateTransaction('GetVia', 'svc', 'fromsandbox'))).toBe('yes');
    expect(utf8.decode(await calls.evaluateTransaction('Get', 'via/fromsandbox'))).toBe('yes');
  });

  it('calls a chaincode server from another, recording the callee\'s writes in the caller\'s transaction', async () => {
    const port = await freePort();
    const svc2Id = await deployService(net, 'svc2', port);
    servers.push(await startShimServer(svc2Id, port));
    const svc2 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('svc2');
    const simulated = await simulate(net, 'svc', ['call', 'svc2', 'put', 'hop', 'one'], 'svc2');
    expect(simulated.status).toBe(200);
    expect(simulated.rwset.writesList).toEqual([{ key: 'hop', isDelete: false, value: Buffer.from('one').toString('base64') }]);
    // Committed as the caller's transaction: the callee's namespace holds the value on both peers.
    expect(utf8.decode(await svc.submitTransaction('call', 'svc2', 'put', 'hop', 'two'))).toBe('two');
    await peersInSync(net.peers);
    expect(utf8.decode(await svc2.evaluateTransaction('get', 'hop'))).toBe('two');
    expect(utf8.decode(await gatewayOn(net, 1).getNetwork(CHANNEL).getContract('svc2').evaluateTransaction('get', 'hop'))).toBe('two');
    // Through two services into the sandbox, and back.
    await gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kv').submitTransaction('Put', 'relay', 'via-two-hops');
    expect(utf8.decode(await svc.evaluateTransaction('call', 'svc2', 'call', 'kv', 'Get', 'relay'))).toBe('via-two-hops');
    // A sandboxed callee waits for a server as its caller does: service → sandbox → service.
    expect(utf8.decode(await svc.evaluateTransaction('call', 'calls', 'GetVia', 'svc2', 'hop'))).toBe('two');
    // The callee's failure, and the executor's checks, reach the caller as Fabric's handler words them.
    expect(await failureOf(svc.evaluateTransaction('call', 'svc2', 'fail', 'not today'))).toContain('svc2 answered 500: not today');
    expect(await failureOf(svc.evaluateTransaction('call', 'nosuch', 'get', 'k'))).toContain('INVOKE_CHAINCODE failed');
    expect(await failureOf(svc.evaluateTransaction('call', 'nosuch', 'get', 'k'))).toContain('failed to get chaincode container info for nosuch');
  });

  it('runs chains of calls through sandboxes and services at any depth: sandbox → sandbox → service commits the service\'s write, its error reaches the top verbatim', async () => {
    await deployChaincodeInProcess(net, { projectDir: RELAY_DIR, label: 'relay_1', name: 'relay' });
    await deployChaincodeInProcess(net, { projectDir: RELAY_DIR, label: 'relay2_1', name: 'relay2' });
    const relay = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('relay');
    const simulated = await simulate(net, 'relay', ['call', 'relay2', 'call', 'svc', 'put', 'chained', 'two-sandboxes'], 'svc');
    expect([simulated.status, simulated.message]).toEqual([200, '']);
    expect(simulated.rwset.writesList).toEqual([{ key: 'chained', isDelete: false, value: Buffer.from('two-sandboxes').toString('base64') }]);
    expect(utf8.decode(await relay.submitTransaction('call', 'relay2', 'call', 'svc', 'put', 'chained', 'committed'))).toBe('committed');
    await peersInSync(net.peers);
    expect(utf8.decode(await gatewayOn(net, 1).getNetwork(CHANNEL).getContract('svc').evaluateTransaction('get', 'chained'))).toBe('committed');
    // sandbox → sandbox → service → sandbox: the last callee's write lands in the same transaction.
    const deeper = await simulate(net, 'relay', ['call', 'relay2', 'call', 'svc', 'call', 'kv', 'Put', 'hops', 'four'], 'kv');
    expect([deeper.status, deeper.rwset.writesList]).toEqual([200, [{ key: 'hops', isDelete: false, value: Buffer.from('four').toString('base64') }]]);
    expect(await failureOf(relay.evaluateTransaction('call', 'relay2', 'call', 'svc', 'fail', 'asset 9 is frozen'))).toContain('relay2 answered 500: svc answered 500: asset 9 is frozen');
  });

  it('refuses a PUT_STATE over the runtime slot\'s lowered maxValueBytes, as it does in the sandbox', async () => {
    const big = 'x'.repeat(MAX_VALUE_BYTES + 1);
    const asService = await simulate(net, 'svc', ['put', 'big', big]);
    expect(asService.status).toBe(500);
    expect(asService.message).toContain('PUT_STATE failed');
    expect(asService.message).toContain(`${MAX_VALUE_BYTES}`);
    const inSandbox = await simulate(net, 'kv', ['Put', 'big', big]);
    expect(inSandbox.status).toBe(500);
    expect(inSandbox.message).toContain(`${MAX_VALUE_BYTES}`);
    expect(utf8.decode(await svc.evaluateTransaction('put', 'small', 'x'.repeat(MAX_VALUE_BYTES)))).toHaveLength(MAX_VALUE_BYTES);
  });

  it('dials the address connection.json\'s template makes of CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG; a key it lacks is refused at install', async () => {
    const packageId = await deployService(net, 'templated', 0, { address: '127.0.0.1:{{.ccport}}' });
    servers.push(await startShimServer(packageId, templatedPort));
    const templated = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('templated');
    expect(utf8.decode(await templated.submitTransaction('put', 'where', 'templated'))).toBe('templated');
    const built = await packageCcaas({ label: 'untemplated_1', connection: { address: '{{.nosuchkey}}:9999' } });
    const refused = await install(net.m.orgs[0], net.ports[0], built.packageBytes).then(
      () => 'installed',
      (err: Error) => err.message,
    );
    expect(refused).toContain('"address" is a template that cannot be expanded');
    expect(refused).toContain('map has no entry for key "nosuchkey"');
  });

  it('records the same read/write set for a contract served by fabric-chaincode-node as for it in the sandbox', async () => {
    const port = await freePort();
    const built = await packageCcaas({ label: 'kvsvc_1', connection: { address: `127.0.0.1:${port}`, dial_timeout: '10s' } });
    servers.push(await startContractServer(built.packageId, port, KV_EVENTS_DIR));
    await deployPackage(net, 'kvsvc', built.packageId, built.packageBytes);
    const contract = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kvsvc');
    await contract.submitTransaction('Put', 'counter', '41');
    await gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kv').submitTransaction('Put', 'counter', '41');
    await peersInSync(net.peers);
    const inSandbox = await simulate(net, 'kv', ['Increment', 'counter']);
    const asService = await simulate(net, 'kvsvc', ['Increment', 'counter']);
    expect(asService.status).toBe(200);
    expect(asService.rwset.writesList).toEqual([{ key: 'counter', isDelete: false, value: Buffer.from('42').toString('base64') }]);
    // The version read differs (each key was written by its own transaction): the shape must not.
    const shape = (rw: KVRWSet.AsObject): unknown => ({ ...rw, readsList: rw.readsList.map((r) => ({ key: r.key, read: r.version !== undefined })) });
    expect(shape(asService.rwset)).toEqual(shape(inSandbox.rwset));
  });

  it('refuses a server that registers with another chaincode ID, naming both', async () => {
    const port = await freePort();
    const packageId = await deployService(net, 'wrongid', port);
    servers.push(await startShimServer('someone-else:1234', port));
    const failure = await failureOf(gatewayOn(net, 0).getNetwork(CHANNEL).getContract('wrongid').evaluateTransaction('put', 'k', 'v'));
    expect(failure).toContain('registered as chaincode "someone-else:1234"');
    expect(failure).toContain(packageId);
  });

  it('fails with the package and address while the server is down, and works again once it is back', async () => {
    const port = await freePort();
    const packageId = await deployService(net, 'flaky', port, { dial_timeout: '300ms' });
    const flaky = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('flaky');
    const down = await failureOf(flaky.evaluateTransaction('put', 'k', 'v'));
    expect(down).toContain(`chaincode ${packageId} at 127.0.0.1:${port}`);
    expect(down).toContain('could not connect');
    let server = await startShimServer(packageId, port);
    servers.push(server);
    expect(utf8.decode(await eventually(() => flaky.evaluateTransaction('put', 'k', 'v')))).toBe('v');
    // Lost while connected: the next transaction dials again.
    await server.stop();
    expect(await failureOf(flaky.evaluateTransaction('put', 'k', 'v'))).toMatch(/chaincode stream terminated|could not connect/);
    server = await startShimServer(packageId, port);
    servers.push(server);
    expect(utf8.decode(await eventually(() => flaky.evaluateTransaction('put', 'k', 'again')))).toBe('again');
  });

  it('dials a chaincode server over mutual TLS with the certificates connection.json holds', async () => {
    const port = await freePort();
    const org = net.m.orgs[0];
    const serverCert = org.nodes.peer0;
    const client = org.users.User1;
    const packageId = await deployService(net, 'secure', port, {
      tls_required: true,
      client_auth_required: true,
      root_cert: fs.readFileSync(org.tlsCaCertPath, 'utf8'),
      client_cert: fs.readFileSync(client.tlsCertPath, 'utf8'),
      client_key: fs.readFileSync(client.tlsKeyPath, 'utf8'),
      domain: 'localhost',
    });
    servers.push(await startShimServer(packageId, port, { keyFile: serverCert.tlsKeyPath, certFile: serverCert.tlsCertPath, clientCaFile: org.tlsCaCertPath }));
    const secure = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('secure');
    expect(utf8.decode(await secure.submitTransaction('put', 'tls', 'yes'))).toBe('yes');
  });
});
