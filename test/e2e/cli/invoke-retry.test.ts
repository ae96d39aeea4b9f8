import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, hash, signers } from '@hyperledger/fabric-gateway';
import { findFreePorts } from '../../../cli/services/free-ports';
import { NetworkLayout } from '../../../cli/services/network/network-layout';
import { loadNetworkSpec } from '../../../cli/services/network/network-spec';
import { parseBlock } from '../../../core/protocol/block';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { parseSerializedIdentity } from '../../../core/protocol/serialized-identity';
import { parseTransactionEnvelope } from '../../../core/protocol/transaction';
import { validationCodeInfo } from '../../../core/protocol/validation-codes';
import { type CliResult, REPO, errorOf, httpsGet, json, runCli } from './run-cli';

const KV = path.join(REPO, 'test', 'integration', 'peer', 'fixtures', 'kv-events');
const MVCC = validationCodeInfo('MVCC_READ_CONFLICT')!;

/**
 * `weft chaincode invoke` under contention, on a 1-org network of real processes: invokes that
 * read-modify-write one key, started together, endorse against the same version and all but the
 * first to commit fail MVCC_READ_CONFLICT. Without retries the CLI explains the code; with
 * `--retry` it endorses again and every increment commits once. The 3 s batch timeout lets the
 * processes, which start a second or two apart on a busy machine, reach the same block.
 *
 * The network's keys are Ed25519 (`--key-algorithm ed25519`, as Fabric 3's cryptogen makes them),
 * its TLS mutual, and every org issues from an intermediate CA (`--intermediate-ca`, a Fabric CA
 * deployment's layout): every CLI call here signs with Ed25519 and connects with Ed25519 TLS
 * certificates both ways, each chain through an intermediate, a test drives it through the
 * official Gateway client, and the last renews Org1's root and intermediate while it runs.
 */
describe('weft chaincode invoke --retry on read conflicts (real processes)', () => {
  let tmp: string;
  let net: string;
  /** The package the first deploy installed. */
  let firstPackage: string;

  const increment = (retry: number): Promise<CliResult> => runCli(['chaincode', 'invoke', net, '--name', 'kv', 'Increment', 'counter', '--retry', String(retry), '--json']);
  const together = (n: number, retry: number): Promise<CliResult[]> => Promise.all(Array.from({ length: n }, () => increment(retry)));
  const counter = async (): Promise<number> => Number((json(await runCli(['chaincode', 'query', net, '--name', 'kv', 'Get', 'counter', '--json'])) as { result: string }).result);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-retry-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(7);
    json(await runCli(['network', 'init', net, '--orgs', '1', '--base-port', String(base), '--batch-timeout', '3s', '--key-algorithm', 'ed25519', '--mutual-tls', '--intermediate-ca', '--json']));
    json(await runCli(['network', 'up', net, '--json']));
    firstPackage = (json(await runCli(['chaincode', 'deploy', net, KV, '--name', 'kv', '--json'])) as { packageId: string }).packageId;
    json(await increment(0));
  }, 120_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('with --retry 0, fails the conflicting invokes with TX_INVALID saying what the code means and to retry', async () => {
    const before = await counter();
    const runs = await together(3, 0);
    const failed = runs.filter((r) => r.code !== 0);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const r of failed) {
      const error = errorOf(r);
      expect(error).toMatchObject({ code: 'TX_INVALID', details: { validationCode: 'MVCC_READ_CONFLICT', code: 11, retryable: true, attempts: 1 } });
      expect(error.message).toContain(`as invalid: MVCC_READ_CONFLICT. ${MVCC.when}`);
      const { suggestions } = JSON.parse(r.stdout) as { suggestions: string[] };
      expect(suggestions).toEqual([MVCC.advice, 'let the CLI endorse again and resubmit: --retry <n> (for example --retry 3)', `inspect the block: weft block show ${net} ${String(error.details.blockNumber)}`]);
      // The Gateway peer's committer logged which key conflicted, and the CLI gives that line.
      const reason = /^key "counter" of namespace kv (was written by transaction \d+ earlier in this block|changed since it was read: it was at version \d+:\d+ then, at version \d+:\d+ now)$/;
      expect(error.details).toMatchObject({ reason: expect.stringMatching(reason), reasonFrom: path.join(net, 'logs', 'peer0.org1.example.com.log') });
      expect(error.message).toContain(`\n  peer0.org1.example.com logged why: ${String(error.details.reason)}`);
    }
    expect(await counter()).toBe(before + runs.length - failed.length);

    // The block shows the conflicted transaction with the same explanation.
    const { details } = errorOf(failed[0]!);
    const block = json(await runCli(['block', 'show', net, String(details.blockNumber), '--json'])) as { transactions: { txId: string; validationCode: string; explanation?: unknown }[] };
    const tx = block.transactions.find((t) => t.txId === details.transactionId);
    expect(tx).toMatchObject({ validationCode: 'MVCC_READ_CONFLICT', explanation: { meaning: MVCC.when, retryable: true, advice: MVCC.advice } });
    expect(block.transactions.filter((t) => t.validationCode === 'VALID').every((t) => t.explanation === undefined)).toBe(true);
    // The peer warns of it as Fabric's committer does, by code name, at its default level (warn).
    const warned = fs
      .readFileSync(path.join(net, 'logs', 'peer0.org1.example.com.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"transaction invalid"'))
      .map((l) => JSON.parse(l) as { level: number; txId: string; code: string; retryable: boolean; reason: string });
    expect(warned).toContainEqual(expect.objectContaining({ level: 40, txId: details.transactionId, code: 'MVCC_READ_CONFLICT', retryable: true, reason: details.reason }));
  }, 60_000);

  it('with --retry, endorses the conflicting invokes again until every one commits, and says so', async () => {
    const before = await counter();
    const runs = await together(3, 10);
    const results = runs.map((r) => json(r) as { validationCode: string; result: string; attempts: number });
    expect(results.every((r) => r.validationCode === 'VALID')).toBe(true);
    // Each increment saw a different count: none was lost, none applied twice.
    expect(results.map((r) => Number(r.result)).sort()).toEqual([before + 1, before + 2, before + 3]);
    expect(await counter()).toBe(before + 3);
    const retried = runs.filter((_, i) => results[i]!.attempts > 1);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    for (const r of retried) expect(r.stderr).toMatch(/MVCC_READ_CONFLICT in block \d+ \(tx [0-9a-f]{64}\): endorsing again in \d+ ms \(retry 1 of 10\)/);
  }, 60_000);

  it("serves the official Gateway client signing with an Ed25519 key over mutual TLS; the block's creator and endorser are Ed25519", async () => {
    const layout = new NetworkLayout(net, loadNetworkSpec(net));
    const peer = layout.peers()[0]!;
    const user = layout.user(layout.spec.orgs[0]!, 'User1');
    const keyType = (pem: Uint8Array | Buffer): string | undefined => new X509Certificate(pem).publicKey.asymmetricKeyType;
    expect([keyType(fs.readFileSync(user.certPath)), keyType(fs.readFileSync(user.tlsCertPath)), keyType(fs.readFileSync(path.join(peer.tlsDir, 'server.crt')))]).toEqual(['ed25519', 'ed25519', 'ed25519']);
    const issuerOf = (file: string): string | undefined => /CN=([^\n]+)/.exec(new X509Certificate(fs.readFileSync(file)).issuer)?.[1];
    expect([issuerOf(user.certPath), issuerOf(user.tlsCertPath), issuerOf(path.join(peer.tlsDir, 'server.crt'))]).toEqual(['ica.org1.example.com', 'tlsica.org1.example.com', 'tlsica.org1.example.com']);

    const tls = grpc.credentials.createSsl(fs.readFileSync(peer.tlsRootCertPath), fs.readFileSync(user.tlsKeyPath), fs.readFileSync(user.tlsCertPath));
    const client = new grpc.Client(peer.address, tls, { 'grpc.ssl_target_name_override': peer.id });
    // fabric-gateway signs Ed25519 over the whole message: hash.none, as its docs ask.
    const gateway = connect({
      client,
      identity: { mspId: user.mspId, credentials: fs.readFileSync(user.certPath) },
      signer: signers.newPrivateKeySigner(createPrivateKey(fs.readFileSync(user.keyPath))),
      hash: hash.none,
    });
    try {
      const contract = gateway.getNetwork(layout.spec.channel.name).getContract('kv');
      const commit = await contract.submitAsync('Increment', { arguments: ['ed25519-counter'] });
      const status = await commit.getStatus();
      expect(status.successful).toBe(true);
      expect(new TextDecoder().decode(await contract.evaluateTransaction('Get', 'ed25519-counter'))).toBe('1');

      const file = path.join(tmp, 'ed25519.block');
      json(await runCli(['channel', 'fetch', net, String(status.blockNumber), '-o', file, '--json']));
      const tx = parseBlock(fs.readFileSync(file))
        .envelopes.map((env) => parseTransactionEnvelope(env))
        .find((t) => t.channelHeader.txId === commit.getTransactionId());
      const signedBy = (serialized: Uint8Array): [string, string | undefined] => {
        const id = parseSerializedIdentity(serialized, 'identity');
        return [id.mspId, keyType(Buffer.from(id.idBytes))];
      };
      expect(signedBy(tx!.signatureHeader.creator)).toEqual(['Org1MSP', 'ed25519']);
      expect(tx!.action.endorsements.map((e) => signedBy(e.endorser))).toEqual([['Org1MSP', 'ed25519']]);
    } finally {
      gateway.close();
      client.close();
    }
  }, 60_000);

  it("reads and sets the running nodes' logging spec over mutual TLS (weft network logspec); the peer's committer follows it", async () => {
    const peer = 'peer0.org1.example.com';
    const read = json(await runCli(['network', 'logspec', net, '--json'])) as { nodes: { id: string; spec: string }[] };
    expect(read.nodes).toEqual([expect.objectContaining({ id: 'orderer.example.com', spec: 'warn' }), expect.objectContaining({ id: peer, spec: 'warn' })]);
    expect(errorOf(await runCli(['network', 'logspec', net, '--spec', 'warn:committer=loud', '--json']))).toMatchObject({ code: 'LOG_SPEC_INVALID', details: { field: '--spec' } });

    const set = json(await runCli(['network', 'logspec', net, '--node', peer, '--spec', 'warn:committer=info', '--json']));
    expect(set).toEqual({ requested: 'committer=info:warn', nodes: [{ id: peer, kind: 'peer', mspId: 'Org1MSP', spec: 'committer=info:warn', previous: 'warn' }], notRunning: [] });
    // The node's own answer, over HTTPS with the org Admin's TLS client certificate.
    const layout = new NetworkLayout(net, loadNetworkSpec(net));
    const node = layout.peers()[0]!;
    const admin = layout.user(layout.spec.orgs[0]!, 'Admin');
    const own = await httpsGet(node.operationsAddress!, '/logspec', fs.readFileSync(node.tlsRootCertPath), peer, { cert: fs.readFileSync(admin.tlsCertPath), key: fs.readFileSync(admin.tlsKeyPath) });
    expect(own).toEqual({ status: 200, body: JSON.stringify({ spec: 'committer=info:warn' }) });

    // At info the committer logs each block it commits, its time in ISO 8601.
    const logged = (): { msg: string; time: unknown }[] =>
      fs.readFileSync(node.logFile, 'utf8').split('\n').filter((l) => l.startsWith('{') && l.includes('"component":"committer"')).map((l) => JSON.parse(l) as { msg: string; time: unknown });
    const before = logged().length;
    json(await increment(0));
    // The line may trail the commit event the invoke waited for by a moment.
    const commitsSince = (): { msg: string; time: unknown }[] => logged().slice(before).filter((e) => e.msg.startsWith('committed block '));
    for (let tries = 0; tries < 50 && commitsSince().length === 0; tries++) await new Promise((r) => setTimeout(r, 100));
    const commits = commitsSince();
    expect(commits.length).toBeGreaterThanOrEqual(1);
    expect(commits[0]!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

    const reset = json(await runCli(['network', 'logspec', net, '--spec', 'warn', '--json'])) as { nodes: { id: string; spec: string; previous: string }[] };
    expect(reset.nodes.map((n) => [n.id, n.previous, n.spec])).toEqual([['orderer.example.com', 'warn', 'warn'], [peer, 'committer=info:warn', 'warn']]);
  }, 60_000);

  it("renews Org1's root and intermediate CA while it runs: the channel's root_certs and intermediate_certs take them, the peer reloads, invokes still commit", async () => {
    const org1 = path.join(net, 'organizations', 'peerOrganizations', 'org1.example.com');
    const renewed = json(await runCli(['network', 'renew', net, '--org', 'Org1', '--root-ca', '--ca', '--json'])) as {
      cas: { which: string; fileName: string }[];
      channels: { channel: string }[];
      files: string[];
      reloaded: string[];
    };
    expect(renewed.cas.map((c) => [c.which, c.fileName])).toEqual([
      ['rootca', 'ca.org1.example.com-cert.pem'],
      ['ca', 'ica.org1.example.com-cert.pem'],
    ]);
    expect(renewed.channels.map((c) => c.channel)).toEqual(['mychannel']);
    expect(renewed.files).toEqual(expect.arrayContaining([path.join(org1, 'ca', 'ica.org1.example.com-cert.pem'), path.join(org1, 'rootca', 'ca.org1.example.com-cert.pem')]));
    expect(renewed.reloaded).toContain('peer0.org1.example.com');

    const file = path.join(tmp, 'renewed-config.block');
    json(await runCli(['channel', 'fetch', net, 'config', '-o', file, '--json']));
    const msp = parseConfigBlock(fs.readFileSync(file)).msps.get('Org1MSP')!;
    const pem = (bytes: Uint8Array): string => Buffer.from(bytes).toString();
    expect(pem(msp.getRootCertsList_asU8()[0]!)).toBe(fs.readFileSync(path.join(org1, 'rootca', 'ca.org1.example.com-cert.pem'), 'utf8'));
    expect(pem(msp.getIntermediateCertsList_asU8()[0]!)).toBe(fs.readFileSync(path.join(org1, 'ca', 'ica.org1.example.com-cert.pem'), 'utf8'));
    expect(msp.getIntermediateCertsList_asU8()).toHaveLength(1);

    const before = await counter();
    expect((json(await increment(3)) as { validationCode: string }).validationCode).toBe('VALID');
    expect(await counter()).toBe(before + 1);
  }, 90_000);

  it('rolls an upgrade back by deploying the earlier package by its ID, as query-installed lists it', async () => {
    const upgraded = json(await runCli(['chaincode', 'deploy', net, KV, '--name', 'kv', '--version', '2.0', '--json'])) as { packageId: string; sequence: number };
    expect(upgraded.packageId).not.toBe(firstPackage);
    const installed = json(await runCli(['chaincode', 'query-installed', net, '--json'])) as { peers: { installed: { packageId: string }[] }[] };
    expect(installed.peers[0]!.installed.map((p) => p.packageId)).toEqual(expect.arrayContaining([firstPackage, upgraded.packageId]));

    const rolledBack = await runCli(['chaincode', 'deploy', net, firstPackage, '--name', 'kv', '--version', '1.0', '--json']);
    expect(json(rolledBack)).toMatchObject({ packageId: firstPackage, version: '1.0', sequence: upgraded.sequence + 1, committed: true });
    expect(rolledBack.stderr).toContain(`package ${firstPackage} (label kv_1.0), as installed on peer0.org1.example.com`);
    const committed = json(await runCli(['chaincode', 'query-committed', net, '--name', 'kv', '--json'])) as { definitions: { version: string; sequence: number }[] };
    expect(committed.definitions).toEqual([expect.objectContaining({ version: '1.0', sequence: upgraded.sequence + 1 })]);
    const before = await counter();
    expect((json(await increment(3)) as { validationCode: string }).validationCode).toBe('VALID');
    expect(await counter()).toBe(before + 1);

    // An ID installed nowhere is refused before anything is approved, listing the chaincode's packages.
    const unknown = `kv_1.0:${'0'.repeat(64)}`;
    const refused = errorOf(await runCli(['chaincode', 'deploy', net, unknown, '--name', 'kv', '--json']));
    expect(refused).toMatchObject({ code: 'CHAINCODE_NOT_FOUND', details: { packageId: unknown, installed: [firstPackage, upgraded.packageId].sort() } });
  }, 90_000);

  // --version defaulted to 1.0 on every deploy: the policy-only re-deploy below went back to version 1.0 with
  // the package labelled kv_1.0, and changed code became a second kv_1.0 package.
  it('without --version, keeps the committed version for the committed package and refuses changed code before installing it', async () => {
    const v2 = json(await runCli(['chaincode', 'deploy', net, KV, '--name', 'kv', '--version', '2.0', '--json'])) as { packageId: string; sequence: number };
    const policyOnly = json(await runCli(['chaincode', 'deploy', net, KV, '--name', 'kv', '--policy', "OR('Org1MSP.peer')", '--json']));
    expect(policyOnly).toMatchObject({ version: '2.0', packageId: v2.packageId, sequence: v2.sequence + 1, committed: true });

    const changed = path.join(tmp, 'kv-changed');
    fs.cpSync(KV, changed, { recursive: true });
    const index = path.join(changed, 'index.js');
    fs.writeFileSync(index, fs.readFileSync(index, 'utf8').replace('does not exist', 'is not set'));
    const refused = await runCli(['chaincode', 'deploy', net, changed, '--name', 'kv', '--json']);
    const error = errorOf(refused);
    expect(error).toMatchObject({ code: 'VERSION_REQUIRED', details: { field: '--version', committedVersion: '2.0', committedSequence: v2.sequence + 1, approvedPackageIds: { Org1MSP: v2.packageId } } });
    expect(error.details.packageId).toMatch(/^kv_2\.0:/);
    expect(error.details.packageId).not.toBe(v2.packageId);
    expect((JSON.parse(refused.stdout) as { suggestions: string[] }).suggestions).toEqual(['give the new code a version: --version 2.1']);
    const installed = json(await runCli(['chaincode', 'query-installed', net, '--json'])) as { peers: { installed: { packageId: string }[] }[] };
    expect(installed.peers[0]!.installed.map((p) => p.packageId)).not.toContain(error.details.packageId);
    const committed = json(await runCli(['chaincode', 'query-committed', net, '--name', 'kv', '--json'])) as { definitions: { version: string; sequence: number }[] };
    expect(committed.definitions).toEqual([expect.objectContaining({ version: '2.0', sequence: v2.sequence + 1 })]);
  }, 90_000);
});
