import { X509Certificate } from 'node:crypto';
import { ConfigMetadata, Consenter, Options } from '@hyperledger/fabric-protos/lib/orderer/etcdraft/configuration_pb';
import { decodeConfigProto } from './config-decode';
import type { ParsedChannelConfig } from './config-parse';
import { EtcdraftConfigMetadataSchema } from './config-schemas';
import { parseGoDurationNanos } from './go-time-duration';

/** `ConsensusType.type` of a Raft ordering service (configtxgen's `etcdraft`). */
export const ETCDRAFT_CONSENSUS_TYPE = 'etcdraft';

const METADATA_PATH = '/Channel/Orderer/ConsensusType.metadata';

/** The Raft options of Fabric's `sampleconfig/configtx.yaml`, which configtxgen writes when a profile sets none. */
export const DEFAULT_ETCDRAFT_OPTIONS: Readonly<Options.AsObject> = {
  tickInterval: '500ms',
  electionTick: 10,
  heartbeatTick: 1,
  maxInflightBlocks: 5,
  snapshotIntervalSize: 16 * 1024 * 1024,
};

/** One Raft consenter as configtxgen's profile names it: host, port and the PEM bytes of its TLS certificates. */
export interface EtcdraftConsenterInput {
  readonly host: string;
  readonly port: number;
  readonly clientTlsCert: Uint8Array;
  readonly serverTlsCert: Uint8Array;
}

/**
 * `ConsensusType.metadata` of an etcdraft channel: `etcdraft.ConfigMetadata` bytes as configtxgen's
 * `MarshalEtcdRaftMetadata` writes them (the certificates' file bytes, Fabric's sample options
 * unless `options` names others), so a Weft genesis block carries the value configtxgen would.
 */
export function etcdraftConfigMetadata(consenters: readonly EtcdraftConsenterInput[], options: Partial<Options.AsObject> = {}): Uint8Array {
  const v = { ...DEFAULT_ETCDRAFT_OPTIONS, ...options };
  const o = new Options();
  o.setTickInterval(v.tickInterval);
  o.setElectionTick(v.electionTick);
  o.setHeartbeatTick(v.heartbeatTick);
  o.setMaxInflightBlocks(v.maxInflightBlocks);
  o.setSnapshotIntervalSize(v.snapshotIntervalSize);
  const md = new ConfigMetadata();
  md.setConsentersList(
    consenters.map((c) => {
      const consenter = new Consenter();
      consenter.setHost(c.host);
      consenter.setPort(c.port);
      consenter.setClientTlsCert(c.clientTlsCert);
      consenter.setServerTlsCert(c.serverTlsCert);
      return consenter;
    }),
  );
  md.setOptions(o);
  return md.serializeBinary();
}

/** Decodes `ConsensusType.metadata` as a Fabric etcdraft orderer's `proto.Unmarshal` does; throws `ProtocolError` PROTOCOL_MALFORMED naming the path. */
export function decodeEtcdraftMetadata(metadata: Uint8Array, path = METADATA_PATH): ConfigMetadata {
  return decodeConfigProto(ConfigMetadata, EtcdraftConfigMetadataSchema, metadata, path);
}

/** The TLS roots and intermediates of a config's orderer orgs: what Fabric verifies consenter certificates against (`createX509VerifyOptions`). */
export interface ConsenterTlsTrust {
  readonly roots: readonly X509Certificate[];
  readonly intermediates: readonly X509Certificate[];
}

/** {@link ConsenterTlsTrust} of `config`; a certificate that does not parse is left out (Fabric refuses such an MSP earlier). */
export function consenterTlsTrust(config: ParsedChannelConfig): ConsenterTlsTrust {
  const parse = (list: Uint8Array[]) =>
    list.flatMap((pem) => {
      try {
        return [new X509Certificate(pem)];
      } catch {
        return [];
      }
    });
  const msps = config.ordererOrgs.flatMap((org) => {
    const msp = config.msps.get(org.mspId);
    return msp === undefined ? [] : [msp];
  });
  return {
    roots: parse(msps.flatMap((m) => m.getTlsRootCertsList_asU8())),
    intermediates: parse(msps.flatMap((m) => m.getTlsIntermediateCertsList_asU8())),
  };
}

/**
 * Fabric's `VerifyConfigMetadata` (orderer/consensus/etcdraft/util.go), with its wording: options
 * present, non-zero ticks and in-flight blocks, ElectionTick above HeartbeatTick, a TickInterval Go
 * parses and that is not zero, at least one consenter, each with PEM TLS certificates issued by an
 * orderer org's TLS CA (expiry ignored unless `checkExpiry`), and no certificate used twice.
 * Undefined when the metadata passes.
 */
export function etcdraftMetadataProblem(md: ConfigMetadata, trust: ConsenterTlsTrust, checkExpiry = false): string | undefined {
  const o = md.getOptions();
  if (o === undefined) return 'nil Raft config metadata options';
  if (o.getHeartbeatTick() === 0 || o.getElectionTick() === 0 || o.getMaxInflightBlocks() === 0) {
    return `none of HeartbeatTick (${o.getHeartbeatTick()}), ElectionTick (${o.getElectionTick()}) and MaxInflightBlocks (${o.getMaxInflightBlocks()}) can be zero`;
  }
  if (o.getElectionTick() <= o.getHeartbeatTick()) return `ElectionTick (${o.getElectionTick()}) must be greater than HeartbeatTick (${o.getHeartbeatTick()})`;
  let tick: bigint;
  try {
    tick = parseGoDurationNanos(o.getTickInterval());
  } catch (err) {
    return `failed to parse TickInterval (${o.getTickInterval()}) to time duration: ${(err as Error).message}`;
  }
  if (tick === 0n) return 'TickInterval cannot be zero';
  const consenters = md.getConsentersList();
  if (consenters.length === 0) return 'empty consenter set';
  for (const c of consenters) {
    const problem = consenterCertificateProblem(c, trust, checkExpiry);
    if (problem !== undefined) return `consenter ${c.getHost()}:${c.getPort()} has invalid certificate: ${problem}`;
  }
  const seen = new Set<string>();
  for (const c of consenters) {
    const [server, client] = [Buffer.from(c.getServerTlsCert_asU8()).toString('latin1'), Buffer.from(c.getClientTlsCert_asU8()).toString('latin1')];
    if (seen.has(server) || seen.has(client)) return `duplicate consenter: ${c.getHost()}:${c.getPort()} has a server or client TLS certificate another consenter has`;
    seen.add(server);
    seen.add(client);
  }
  return undefined;
}

/** Whether two PEM certificates carry the same public key: how Fabric's etcdraft finds itself among the consenters (`detectSelfID`). */
export function sameCertificateKey(a: Uint8Array, b: Uint8Array): boolean {
  const key = (pem: Uint8Array) => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  try {
    return key(a).equals(key(b));
  } catch {
    return false;
  }
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
/** Go's x509 `maxChainSignatureChecks` is far larger; a consenter chain deeper than this is not one a Fabric network makes. */
const MAX_CHAIN = 8;

/** Fabric's `validateConsenterTLSCerts`: both certificates parse and chain to `trust` (and, with `checkExpiry`, are valid now). */
export function consenterCertificateProblem(c: Consenter, trust: ConsenterTlsTrust, checkExpiry: boolean): string | undefined {
  for (const [kind, pem] of [
    ['client', c.getClientTlsCert_asU8()],
    ['server', c.getServerTlsCert_asU8()],
  ] as const) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem);
    } catch (err) {
      return `parsing tls ${kind} cert of ${c.getHost()}:${c.getPort()}: ${Buffer.from(pem).includes('-----BEGIN') ? (err as Error).message : 'no PEM data found'}`;
    }
    const problem = chainProblem(cert, trust, checkExpiry);
    if (problem !== undefined) return `verifying tls ${kind} cert with serial number ${BigInt(`0x${cert.serialNumber}`)}: ${problem}`;
  }
  return undefined;
}

function chainProblem(leaf: X509Certificate, trust: ConsenterTlsTrust, checkExpiry: boolean): string | undefined {
  if (checkExpiry) {
    const now = Date.now();
    if (now < Date.parse(leaf.validFrom) || now > Date.parse(leaf.validTo)) return `x509: certificate has expired or is not yet valid (valid ${leaf.validFrom} to ${leaf.validTo})`;
  }
  const usages = leaf.keyUsage;
  if (usages !== undefined && !usages.includes(SERVER_AUTH) && !usages.includes(CLIENT_AUTH)) return 'x509: certificate specifies an incompatible key usage';
  const issuedBy = (cert: X509Certificate, ca: X509Certificate) => cert.checkIssued(ca) && cert.verify(ca.publicKey);
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN; depth++) {
    if (trust.roots.some((root) => root.fingerprint256 === current.fingerprint256 || issuedBy(current, root))) return undefined;
    const next = trust.intermediates.find((i) => i.fingerprint256 !== current.fingerprint256 && issuedBy(current, i));
    if (next === undefined) break;
    current = next;
  }
  return 'x509: certificate signed by unknown authority (not by a TLS CA of an orderer org of the channel)';
}
