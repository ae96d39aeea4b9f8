import type { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
/**
 * A real 2-org Weft network on 127.0.0.1 for peer tests: cryptogen-style material (an orderer org
 * and two peer orgs), a genesis block from the protocol layer (MAJORITY endorsement), node YAML
 * configs, the solo orderer joined through its participation API, and helpers to install and
 * define chaincode through `_lifecycle` with the official fabric-gateway client.
 */
import { createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { connect, type Gateway, GatewayError, hash, signers } from '@hyperledger/fabric-gateway';
import {
  ApproveChaincodeDefinitionForMyOrgArgs,
  ChaincodeSource,
  CommitChaincodeDefinitionArgs,
  InstallChaincodeArgs,
  InstallChaincodeResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { stringify } from 'yaml';
import { postConfigBlock } from '../../../cli/services/client/orderer-admin';
import { findFreePorts } from '../../../cli/services/free-ports';
import { validationParameter } from '../../../cli/services/chaincode/lifecycle';
import { DEFAULT_ACLS } from '../../../core/protocol/channel-definition';
import { buildConfigBlock } from '../../../core/protocol/config-block';
import { parseProposalResponse } from '../../../core/protocol/proposal-response';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import type { Signer } from '../../../core/protocol/signer';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { generateOrg, loadMspConfig, loadSigningIdentity, type GeneratedOrg } from '../../../plugins/msp-x509';

export const CHANNEL = 'mychannel';

export interface Material {
  readonly dir: string;
  readonly ordererOrg: GeneratedOrg;
  readonly orgs: readonly [GeneratedOrg, GeneratedOrg];
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function generateMaterial(dir: string): Promise<Material> {
  const ordererOrg = await generateOrg({ domain: 'example.com', mspId: 'OrdererMSP', kind: 'orderer', nodes: ['orderer'] }, dir);
  const org1 = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: ['Admin', 'User1'] }, dir);
  const org2 = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', users: ['Admin', 'User1'] }, dir);
  return { dir, ordererOrg, orgs: [org1, org2] };
}

/** A port free right now on 127.0.0.1, outside the kernel's ephemeral range (the genesis block must name the orderer's port). */
export function freePort(): Promise<number> {
  return findFreePorts(1);
}

/** The channel's genesis block: two application orgs, MAJORITY Endorsement/LifecycleEndorsement, solo ordering. */
export function genesisBlock(
  m: Material,
  ordererPort: number,
  batchTimeout = '100ms',
  channelId = CHANNEL,
  extraOrgs: readonly { mspId: string; mspConfig: FabricMSPConfig }[] = [],
  aclOverrides: Readonly<Record<string, string>> = {},
  /** Port of each org's peer, named as that org's anchor peer on 127.0.0.1 (none when omitted). */
  anchorPorts: readonly number[] = [],
): Uint8Array {
  return buildConfigBlock({
    channelId,
    acls: { ...DEFAULT_ACLS, ...aclOverrides },
    applicationOrgs: [
      ...m.orgs.map((o, i) => ({
        mspId: o.mspId,
        mspConfig: loadMspConfig(o.mspDir, o.mspId),
        anchorPeers: anchorPorts[i] === undefined ? [] : [{ host: '127.0.0.1', port: anchorPorts[i] }],
      })),
      ...extraOrgs,
    ],
    ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: loadMspConfig(m.ordererOrg.mspDir, 'OrdererMSP'), endpoints: [`127.0.0.1:${ordererPort}`] }],
    batchSize: { maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
    batchTimeout,
    consensusType: { type: 'solo' },
  }).serializeBinary();
}

export interface OrdererFiles {
  readonly configFile: string;
  readonly port: number;
  readonly adminPort: number;
}

/** Writes the orderer's YAML (TLS on, admin API on `adminPort`). */
/** `mutualTls`: the orderer requires client certificates from the orgs' TLS CAs (peers present their own). */
export function writeOrdererConfig(m: Material, port: number, adminPort: number, options: { mutualTls?: boolean } = {}): OrdererFiles {
  const node = m.ordererOrg.nodes.orderer;
  const dir = path.join(m.dir, 'orderer0');
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'orderer.yaml');
  fs.writeFileSync(
    configFile,
    stringify({
      id: 'orderer.example.com',
      kind: 'orderer',
      dataDir: path.join(dir, 'data'),
      logLevel: 'silent',
      msp: { id: 'OrdererMSP', dir: node.mspDir },
      plugins: { ledger: { plugin: 'ledger-sqlite', options: {} }, ordering: { plugin: 'orderer-solo', options: {} } },
      orderer: {
        listenAddress: `127.0.0.1:${port}`,
        tls: {
          cert: node.tlsCertPath,
          key: node.tlsKeyPath,
          clientAuthRequired: options.mutualTls === true,
          clientRootCAs: options.mutualTls === true ? m.orgs.map((o) => o.tlsCaCertPath) : [],
        },
        admin: { listenAddress: `127.0.0.1:${adminPort}`, tls: { cert: node.tlsCertPath, key: node.tlsKeyPath, clientRootCAs: [m.ordererOrg.tlsCaCertPath] } },
      },
    }),
  );
  return { configFile, port, adminPort };
}

/** Joins the orderer to a channel through the participation API (orderer Admin's TLS client cert). */
export async function joinOrderer(m: Material, adminPort: number, block: Uint8Array): Promise<number> {
  const admin = m.ordererOrg.users.Admin;
  const endpoint = {
    address: `127.0.0.1:${adminPort}`,
    ca: fs.readFileSync(m.ordererOrg.tlsCaCertPath),
    cert: fs.readFileSync(admin.tlsCertPath),
    key: fs.readFileSync(admin.tlsKeyPath),
  };
  return (await postConfigBlock(endpoint, block)).status;
}

export interface PeerFiles {
  readonly configFile: string;
  readonly port: number;
  readonly opsPort: number;
  readonly dataDir: string;
}

/** Writes peer `index`'s YAML: TLS on (unless `tls: false`), the other org's peer as a Gateway endorser. */
export function writePeerConfig(
  m: Material,
  index: 0 | 1,
  ports: readonly [number, number],
  opsPort: number,
  options: { mutualTls?: boolean; tls?: boolean; peerSection?: Readonly<Record<string, unknown>>; runtimeOptions?: Readonly<Record<string, unknown>> } = {},
): PeerFiles {
  const org = m.orgs[index];
  const other = m.orgs[1 - index];
  const node = org.nodes.peer0;
  const dir = path.join(m.dir, `peer${index}`);
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'peer.yaml');
  const dataDir = path.join(dir, 'data');
  fs.writeFileSync(
    configFile,
    stringify({
      id: `peer0.${org.domain}`,
      kind: 'peer',
      dataDir,
      logLevel: 'silent',
      msp: { id: org.mspId, dir: node.mspDir },
      plugins: { ledger: { plugin: 'ledger-sqlite', options: {} }, runtime: { plugin: 'runtime-isolated-vm', options: options.runtimeOptions ?? {} } },
      peer: {
        listenAddress: `127.0.0.1:${ports[index]}`,
        tls: {
          enabled: options.tls ?? true,
          certFile: node.tlsCertPath,
          keyFile: node.tlsKeyPath,
          ...(options.mutualTls === true ? { clientAuthRequired: true, rootCertFiles: m.orgs.map((o) => o.tlsCaCertPath) } : {}),
        },
        operations: { listenAddress: `127.0.0.1:${opsPort}` },
        gateway: { peers: [{ address: `127.0.0.1:${ports[1 - index]}`, mspId: other.mspId }] },
        ...options.peerSection,
      },
    }),
  );
  return { configFile, port: ports[index], opsPort, dataDir };
}

/** An org member as a protocol signer (`Admin` or `User1`). */
export function signerOf(org: GeneratedOrg, user = 'User1'): Signer {
  return loadSigningIdentity(org.users[user].mspDir, org.mspId);
}

/** A TLS gRPC client for a peer of `org`; with `clientUser`, it presents that user's TLS certificate (mutual TLS). */
export function peerClient(org: GeneratedOrg, port: number, clientUser?: string): grpc.Client {
  const user = clientUser === undefined ? undefined : org.users[clientUser];
  const creds = grpc.credentials.createSsl(
    fs.readFileSync(org.tlsCaCertPath),
    user === undefined ? null : fs.readFileSync(user.tlsKeyPath),
    user === undefined ? null : fs.readFileSync(user.tlsCertPath),
  );
  return new grpc.Client(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
}

/** The official fabric-gateway client connected to a peer as an org member. */
export function gatewayFor(org: GeneratedOrg, client: grpc.Client, user = 'User1', tlsClientCertificateHash?: Uint8Array): Gateway {
  const member = org.users[user];
  return connect({
    client,
    ...(tlsClientCertificateHash === undefined ? {} : { tlsClientCertificateHash }),
    identity: { mspId: org.mspId, credentials: fs.readFileSync(member.signCertPath) },
    signer: signers.newPrivateKeySigner(createPrivateKey(fs.readFileSync(member.keyPath))),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + 30_000 }),
    endorseOptions: () => ({ deadline: Date.now() + 30_000 }),
    submitOptions: () => ({ deadline: Date.now() + 30_000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
  });
}

/** An endorser client for raw proposals (channel-less `_lifecycle` calls); plaintext with `tls: false`. */
export function rawEndorser(org: GeneratedOrg, port: number, tls = true): RemoteEndorser {
  return new RemoteEndorser(`127.0.0.1:${port}`, org.mspId, tls ? { rootCerts: fs.readFileSync(org.tlsCaCertPath), serverNameOverride: 'localhost' } : {});
}

/** Sends a signed proposal to a peer's endorser and returns the decoded response. */
export async function propose(
  endorser: RemoteEndorser,
  signer: Signer,
  channelId: string,
  chaincodeName: string,
  args: readonly (string | Uint8Array)[],
): Promise<ReturnType<typeof parseProposalResponse>> {
  const built = buildProposal({
    channelId,
    chaincodeName,
    args: args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)),
    creator: signer.serialized,
  });
  const res = await endorser.processProposal(signProposal(built.proposalBytes, signer), Date.now() + 60_000);
  return parseProposalResponse(res);
}

/** `_lifecycle InstallChaincode` on one peer as its org Admin; returns the package ID. */
/**
 * A proposal on Fabric's unary `protos.Endorser/ProcessProposal` from a client that stops waiting at
 * `deadline` (ms since the epoch): resolves with the call's error message, or `answered`.
 */
export function proposeUntil(client: grpc.Client, signer: Signer, chaincodeName: string, args: readonly string[], deadline: number): Promise<string> {
  const built = buildProposal({ channelId: CHANNEL, chaincodeName, args: args.map((a) => Buffer.from(a)), creator: signer.serialized });
  return new Promise<string>((resolve) => {
    client.makeUnaryRequest(
      '/protos.Endorser/ProcessProposal',
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      signProposal(built.proposalBytes, signer),
      { deadline },
      (err) => resolve(err?.message ?? 'answered'),
    );
  });
}

export async function install(org: GeneratedOrg, port: number, packageBytes: Uint8Array, tls = true): Promise<string> {
  const endorser = rawEndorser(org, port, tls);
  try {
    const args = new InstallChaincodeArgs();
    args.setChaincodeInstallPackage(packageBytes);
    const res = await propose(endorser, signerOf(org, 'Admin'), '', '_lifecycle', ['InstallChaincode', args.serializeBinary()]);
    if (res.response.status !== 200) throw new Error(`install failed: ${res.response.status} ${res.response.message}`);
    return InstallChaincodeResult.deserializeBinary(res.response.payload).getPackageId();
  } finally {
    endorser.close();
  }
}

/** Approves `name` at `sequence` for the org of `gateway` (its Admin) with `packageId`. */
export async function approve(
  gateway: Gateway,
  name: string,
  sequence: number,
  packageId: string,
  initRequired = false,
  channelId = CHANNEL,
  collections?: CollectionConfigPackage,
  policy?: string,
): Promise<void> {
  const args = new ApproveChaincodeDefinitionForMyOrgArgs();
  if (collections !== undefined) args.setCollections(collections);
  if (policy !== undefined) args.setValidationParameter(validationParameter(policy));
  args.setName(name);
  args.setVersion('1.0');
  args.setSequence(sequence);
  args.setInitRequired(initRequired);
  const source = new ChaincodeSource();
  const local = new ChaincodeSource.Local();
  local.setPackageId(packageId);
  source.setLocalPackage(local);
  args.setSource(source);
  await gateway.getNetwork(channelId).getContract('_lifecycle').submitTransaction('ApproveChaincodeDefinitionForMyOrg', args.serializeBinary());
}

/** Commits `name` at `sequence` (endorsed by both orgs: MAJORITY LifecycleEndorsement). */
export async function commitDefinition(
  gateway: Gateway,
  name: string,
  sequence: number,
  initRequired = false,
  channelId = CHANNEL,
  collections?: CollectionConfigPackage,
  policy?: string,
): Promise<void> {
  const args = new CommitChaincodeDefinitionArgs();
  if (collections !== undefined) args.setCollections(collections);
  if (policy !== undefined) args.setValidationParameter(validationParameter(policy));
  args.setName(name);
  args.setVersion('1.0');
  args.setSequence(sequence);
  args.setInitRequired(initRequired);
  await gateway.getNetwork(channelId).getContract('_lifecycle').submitTransaction('CommitChaincodeDefinition', args.serializeBinary());
}


export const KV_EVENTS_DIR = path.join(__dirname, 'fixtures', 'kv-events');
/** Test chaincode calling other chaincodes, reporting its transaction timestamp, with an `InitLedger`. */
export const CALLS_DIR = path.join(__dirname, 'fixtures', 'calls');
/** Test chaincode reading and writing private data collections, values as transient data. */
export const PRIVATE_DIR = path.join(__dirname, 'fixtures', 'private');
/** Test chaincode with CouchDB index files in META-INF (its own, a collection's, an undefined collection's) and rich queries. */
export const INDEXED_DIR = path.join(__dirname, 'fixtures', 'indexed');

/** Polls until `check` passes or `timeoutMs` elapses (then throws the last failure). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The message of a Gateway call that must fail, with each endpoint's detail, joined by ' | '. */
export async function failureOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  // Not jest's expect: the benchmarks import this file outside jest, and `npm run build` compiles them.
  if (!(err instanceof GatewayError)) throw new Error(`expected the call to fail with a GatewayError, got ${err === undefined ? 'success' : String(err)}`);
  return [err.message, ...err.details.map((d) => d.message)].join(' | ');
}
