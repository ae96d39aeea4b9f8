/**
 * A real orderer network on 127.0.0.1 for tests: cryptogen-style material (an orderer org and a
 * peer org), a genesis block from the protocol layer, a YAML node config, and TLS clients for
 * AtomicBroadcast and the channel participation API.
 */
import { sign as cryptoSign } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { type Block, HeaderType, Metadata } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { type Config, ConfigEnvelope, ConfigGroup, ConfigUpdate, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { signedConfigUpdate } from '../peer/config-updates';
import { BatchSize } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { BroadcastResponse, DeliverResponse, SeekInfo } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { type Position, seekPosition } from '../../support/seek-position';
import { stringify } from 'yaml';
import { BlockMetadataIndex, buildConfigBlock, lastConfigMetadata, newBlock, setBlockMetadata, type ChannelDefinitionInput } from '../../../core/protocol';
import { ordererBlockMetadataValue } from '../../../core/protocol/block-signatures';
import { tlsCertificateHash } from '../../../core/protocol/deliver-request';
import { buildEnvelope, parseEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';
import { CURVE_ORDERS, generateOrg, loadMspConfig, loadSigningIdentity, toLowS, type GeneratedOrg, type TestIdentity } from '../../../plugins/msp-x509';

export interface Material {
  readonly dir: string;
  readonly ordererOrg: GeneratedOrg;
  readonly peerOrg: GeneratedOrg;
}

export async function generateMaterial(dir: string): Promise<Material> {
  const ordererOrg = await generateOrg({ domain: 'example.com', mspId: 'OrdererMSP', kind: 'orderer', nodes: ['orderer'] }, dir);
  const peerOrg = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: ['Admin', 'User1', 'User2'] }, dir);
  return { dir, ordererOrg, peerOrg };
}

/** The genesis block of a test channel (solo consensus) with the given batch parameters. */
export function genesisBlock(m: Material, channelId: string, overrides: Partial<ChannelDefinitionInput> = {}): Uint8Array {
  return buildConfigBlock({
    channelId,
    applicationOrgs: [{ mspId: 'Org1MSP', mspConfig: loadMspConfig(m.peerOrg.mspDir, 'Org1MSP') }],
    ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: loadMspConfig(m.ordererOrg.mspDir, 'OrdererMSP'), endpoints: ['127.0.0.1:7050'] }],
    batchSize: { maxMessageCount: 10, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 },
    batchTimeout: '200ms',
    consensusType: { type: 'solo' },
    ...overrides,
  }).serializeBinary();
}

/** A genesis block (as configtxgen writes one) carrying `config` as it is, for configs the definition builder would not produce. */
export function configBlockOf(channelId: string, config: Config): Uint8Array {
  const configEnvelope = new ConfigEnvelope();
  configEnvelope.setConfig(config);
  const envelope = buildEnvelope({ type: HeaderType.CONFIG, channelId, data: configEnvelope.serializeBinary(), version: 1 });
  const block = newBlock(0, new Uint8Array(0), [envelope]);
  setBlockMetadata(block, BlockMetadataIndex.LAST_CONFIG, lastConfigMetadata(0));
  const signatures = new Metadata();
  signatures.setValue(ordererBlockMetadataValue(0));
  setBlockMetadata(block, BlockMetadataIndex.SIGNATURES, signatures.serializeBinary());
  return block.serializeBinary();
}

export interface NodeFiles {
  readonly configFile: string;
  readonly dataDir: string;
}

/** Writes an orderer node YAML config (ports 0 unless given) and returns its path. */
export function writeNodeConfig(
  m: Material,
  name: string,
  options: { grpcPort?: number; adminPort?: number; mutualTls?: boolean; syncWal?: boolean; operations?: boolean; operationsPort?: number } = {},
): NodeFiles {
  const node = m.ordererOrg.nodes.orderer!;
  const dataDir = path.join(m.dir, name, 'data');
  const config = {
    id: `${name}.example.com`,
    kind: 'orderer',
    dataDir,
    logLevel: 'silent',
    msp: { id: 'OrdererMSP', dir: node.mspDir },
    plugins: {
      ledger: { plugin: 'ledger-sqlite', options: {} },
      ordering: { plugin: 'orderer-solo', options: { syncWal: options.syncWal ?? true } },
    },
    orderer: {
      listenAddress: `127.0.0.1:${options.grpcPort ?? 0}`,
      tls: {
        cert: node.tlsCertPath,
        key: node.tlsKeyPath,
        clientAuthRequired: options.mutualTls ?? false,
        clientRootCAs: options.mutualTls ? [m.ordererOrg.tlsCaCertPath, m.peerOrg.tlsCaCertPath] : [],
      },
      admin: {
        listenAddress: `127.0.0.1:${options.adminPort ?? 0}`,
        tls: { cert: node.tlsCertPath, key: node.tlsKeyPath, clientRootCAs: [m.ordererOrg.tlsCaCertPath] },
      },
      ...(options.operations ? { operations: { listenAddress: `127.0.0.1:${options.operationsPort ?? 0}` } } : {}),
    },
  };
  fs.mkdirSync(path.join(m.dir, name), { recursive: true });
  const configFile = path.join(m.dir, name, 'orderer.yaml');
  fs.writeFileSync(configFile, stringify(config));
  return { configFile, dataDir };
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A client signer from the peer org (`User1` by default). */
export function clientSigner(m: Material, user = 'User1'): Signer {
  const member = m.peerOrg.users[user]!;
  return loadSigningIdentity(member.mspDir, 'Org1MSP');
}

/** An AtomicBroadcast client over TLS, optionally presenting the peer org user's TLS certificate. */
export function abClient(m: Material, port: number, clientCert = false): AtomicBroadcastClient {
  const user = m.peerOrg.users.User1!;
  const creds = grpc.credentials.createSsl(
    fs.readFileSync(m.ordererOrg.tlsCaCertPath),
    clientCert ? fs.readFileSync(user.tlsKeyPath) : null,
    clientCert ? fs.readFileSync(user.tlsCertPath) : null,
  );
  return new AtomicBroadcastClient(`127.0.0.1:${port}`, creds, {
    'grpc.max_receive_message_length': 100 * 1024 * 1024,
    'grpc.ssl_target_name_override': 'localhost',
  });
}

/** A signed ENDORSER_TRANSACTION-typed envelope with `size` bytes of opaque data. */
export function txEnvelope(signer: Signer, channelId: string, size = 256, type: number = HeaderType.ENDORSER_TRANSACTION): Uint8Array {
  return buildEnvelope({ type, channelId, data: Buffer.alloc(size, 7), signer });
}

/** Sends raw envelope bytes over one Broadcast stream and collects one response per envelope. */
export function broadcast(client: AtomicBroadcastClient, envelopes: readonly Uint8Array[]): Promise<{ status: number; info: string }[]> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      '/orderer.AtomicBroadcast/Broadcast',
      (b: Buffer) => b,
      (b: Buffer) => BroadcastResponse.deserializeBinary(b),
    );
    const out: { status: number; info: string }[] = [];
    call.on('data', (r: BroadcastResponse) => {
      out.push({ status: r.getStatus(), info: r.getInfo() });
      if (out.length === envelopes.length) call.end();
    });
    call.on('error', reject);
    call.on('end', () => resolve(out));
    for (const e of envelopes) call.write(Buffer.from(e));
    if (envelopes.length === 0) call.end();
  });
}

/** A signed DELIVER_SEEK_INFO envelope. */
export function seekEnvelope(
  signer: Signer,
  channelId: string,
  start: Position,
  stop: Position,
  behavior: 'block' | 'fail' = 'block',
  headersOnly = false,
  options: { tlsCertHash?: Uint8Array; timestamp?: Date; bestEffort?: boolean } = {},
): Uint8Array {
  const { bestEffort, ...bound } = options;
  const seek = new SeekInfo();
  seek.setStart(seekPosition(start));
  seek.setStop(seekPosition(stop));
  seek.setBehavior(behavior === 'block' ? SeekInfo.SeekBehavior.BLOCK_UNTIL_READY : SeekInfo.SeekBehavior.FAIL_IF_NOT_READY);
  if (headersOnly) seek.setContentType(SeekInfo.SeekContentType.HEADER_WITH_SIG);
  if (bestEffort === true) seek.setErrorResponse(SeekInfo.SeekErrorResponse.BEST_EFFORT);
  return buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId, data: seek.serializeBinary(), signer, ...bound });
}

/** SHA-256 of the TLS client certificate {@link abClient} presents: what its Deliver requests must name under mutual TLS. */
export function clientTlsCertHash(m: Material): Uint8Array {
  return tlsCertificateHash(fs.readFileSync(m.peerOrg.users.User1!.tlsCertPath));
}

export interface DeliverOutcome {
  readonly blocks: number[];
  readonly status: number | undefined;
  readonly dataCounts: number[];
  /** Transaction ids per delivered block. */
  readonly txIds: string[][];
}

/**
 * Sends one seek request and collects blocks until a status arrives, or until `untilBlocks`
 * blocks came (then cancels; status undefined).
 */
export function deliver(
  client: AtomicBroadcastClient,
  request: Uint8Array,
  untilBlocks?: number,
  until?: (txIds: readonly string[][]) => boolean,
): Promise<DeliverOutcome> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Deliver', (b: Buffer) => b, (b: Buffer) => DeliverResponse.deserializeBinary(b));
    const blocks: number[] = [];
    const dataCounts: number[] = [];
    const txIds: string[][] = [];
    let done = false;
    call.on('data', (r: DeliverResponse) => {
      if (done) return;
      if (r.hasBlock()) {
        const b = r.getBlock()!;
        blocks.push(b.getHeader()!.getNumber());
        const data = b.getData()?.getDataList_asU8() ?? [];
        dataCounts.push(data.length);
        txIds.push(data.map((d) => parseEnvelope(d).channelHeader.txId));
        if ((untilBlocks !== undefined && blocks.length >= untilBlocks) || until?.(txIds) === true) {
          done = true;
          call.cancel();
          resolve({ blocks, status: undefined, dataCounts, txIds });
        }
      } else {
        done = true;
        call.end();
        resolve({ blocks, status: r.getStatus(), dataCounts, txIds });
      }
    });
    call.on('error', (err: grpc.ServiceError) => {
      if (!done) reject(err);
    });
    call.write(Buffer.from(request));
  });
}

/** Block `number` of the channel, once it is written (BLOCK_UNTIL_READY), read by `signer` (naming its TLS certificate on a mutual-TLS orderer). */
export function fetchBlock(client: AtomicBroadcastClient, signer: Signer, channelId: string, number: number, tlsCertHash?: Uint8Array): Promise<Block> {
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Deliver', (b: Buffer) => b, (b: Buffer) => DeliverResponse.deserializeBinary(b));
    call.on('data', (r: DeliverResponse) => {
      call.cancel();
      if (r.hasBlock()) resolve(r.getBlock()!);
      else reject(new Error(`deliver of block ${number} of ${channelId} answered status ${r.getStatus()}`));
    });
    // Cancelling after the block ends the call with an error: the promise is settled by then.
    call.on('error', reject);
    call.write(Buffer.from(seekEnvelope(signer, channelId, number, number, 'block', false, { tlsCertHash })));
  });
}

/** An HTTPS request to the participation API with the orderer org Admin's TLS client certificate. */
export function adminRequest(
  m: Material,
  port: number,
  method: string,
  urlPath: string,
  body?: { field: string; bytes: Uint8Array },
  withClientCert = true,
): Promise<{ status: number; json: unknown; text: string; headers: IncomingHttpHeaders }> {
  const admin = m.ordererOrg.users.Admin!;
  const boundary = 'weft-test-boundary';
  const payload =
    body === undefined
      ? undefined
      : Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${body.field}"; filename="block.pb"\r\nContent-Type: application/octet-stream\r\n\r\n`),
          Buffer.from(body.bytes),
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        ca: fs.readFileSync(m.ordererOrg.tlsCaCertPath),
        servername: 'localhost',
        cert: withClientCert ? fs.readFileSync(admin.tlsCertPath) : undefined,
        key: withClientCert ? fs.readFileSync(admin.tlsKeyPath) : undefined,
        headers: payload === undefined ? {} : { 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': payload.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, json: text.length > 0 ? JSON.parse(text) : undefined, text, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export function envelopeTxId(bytes: Uint8Array): string {
  return parseEnvelope(bytes).channelHeader.txId;
}

/** A signer for an identity issued by a {@link TestOrg} (low-S ECDSA, as Fabric requires). */
export function testIdentitySigner(id: TestIdentity): Signer {
  const order = CURVE_ORDERS[id.privateKey.asymmetricKeyDetails?.namedCurve ?? ''];
  return {
    serialized: id.serialized,
    sign: (message) => {
      const der = new Uint8Array(cryptoSign('sha256', message, { key: id.privateKey, dsaEncoding: 'der' }));
      return order === undefined ? der : toLowS(der, order);
    },
  };
}

/** Streams the channel from block 0 until every txid in `wanted` was seen; returns the block number of each. */
export async function waitForTxIds(
  client: AtomicBroadcastClient,
  signer: Signer,
  channelId: string,
  wanted: readonly string[],
  tlsCertHash?: Uint8Array,
): Promise<number[]> {
  const want = new Set(wanted);
  const request = seekEnvelope(signer, channelId, 'oldest', 'max', 'block', false, { tlsCertHash });
  const out = await deliver(client, request, undefined, (ids) => ids.flat().filter((t) => want.has(t)).length === want.size);
  return wanted.map((t) => out.blocks[out.txIds.findIndex((ids) => ids.includes(t))]!);
}

/** Envelope size as the block cutter counts it (payload + signature). */
export function cutterSize(bytes: Uint8Array): number {
  const parsed = parseEnvelope(bytes);
  return parsed.payloadBytes.length + parsed.signature.length;
}

/**
 * A CONFIG_UPDATE envelope changing /Channel/Orderer/BatchSize.max_message_count, with the config
 * update signed by `signers` (the orderer org admin satisfies its Admins mod_policy) and the
 * envelope signed by `submitter`.
 */
export function batchSizeUpdate(
  channelId: string,
  batch: { maxMessageCount: number; absoluteMaxBytes: number; preferredMaxBytes: number },
  signers: readonly Signer[],
  submitter: Signer,
  options: { valueVersion?: number; readOrdererVersion?: number } = {},
): Uint8Array {
  const value = new BatchSize();
  value.setMaxMessageCount(batch.maxMessageCount);
  value.setAbsoluteMaxBytes(batch.absoluteMaxBytes);
  value.setPreferredMaxBytes(batch.preferredMaxBytes);
  const configValue = new ConfigValue();
  configValue.setVersion(options.valueVersion ?? 1);
  configValue.setModPolicy('Admins');
  configValue.setValue(value.serializeBinary());
  const readOrderer = new ConfigGroup();
  readOrderer.setVersion(options.readOrdererVersion ?? 0);
  const read = new ConfigGroup();
  read.getGroupsMap().set('Orderer', readOrderer);
  const writeOrderer = new ConfigGroup();
  writeOrderer.setVersion(options.readOrdererVersion ?? 0);
  writeOrderer.getValuesMap().set('BatchSize', configValue);
  const write = new ConfigGroup();
  write.getGroupsMap().set('Orderer', writeOrderer);
  const update = new ConfigUpdate();
  update.setChannelId(channelId);
  update.setReadSet(read);
  update.setWriteSet(write);
  return signedConfigUpdate(channelId, update, signers, submitter);
}

/** The orderer org's Admin as a signer. */
export function ordererAdminSigner(m: Material): Signer {
  return loadSigningIdentity(m.ordererOrg.users.Admin!.mspDir, 'OrdererMSP');
}
