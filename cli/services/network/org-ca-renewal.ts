import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FabricMSPConfig, FabricOUIdentifier } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ConfigError } from '../../../core/errors';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import { openNetwork, type Progress } from './network-access';
import { networkDown, networkUp } from './network-control';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { assertCaKeysHere } from './network-users';
import { orgAuthority, type OrgAuthority } from './org-authority';
import { isPrivateKey } from './org-keys';
import { assertOrgAdminHere, orgMspStates, resolveMspOrg, setOrgMsp, type ChannelUpdated, type MspOrg } from './org-msp-channels';
import { runningPid } from './node-processes';
import { reloadLocalMsps } from './node-reload';

const DAY_MS = 86_400_000;

export interface RenewCaOptions {
  /** The org (name, MSP ID or domain): a peer org or the orderer org. */
  readonly org: string;
  /** Renew the org's CA (enrollment certificates' root). */
  readonly ca: boolean;
  /** Renew the org's TLS CA. */
  readonly tlsCa: boolean;
  /** Validity from now in days; ten years by default. */
  readonly days?: number;
  /** Restart the nodes running here that read a replaced copy. */
  readonly restart?: boolean;
}

export interface RenewCaResult {
  readonly org: string;
  readonly mspId: string;
  readonly cas: { which: 'ca' | 'tlsca'; fileName: string; serialNumber: string; notBefore: string; notAfter: string; previousNotAfter: string }[];
  /** Channels whose config now holds the new certificate; channels that held it already are left out. */
  readonly channels: ChannelUpdated[];
  /** Every file that held a copy of an old CA certificate and now holds the new one. */
  readonly files: string[];
  /** Nodes running here on an old copy (until restarted; it stays good until `previousNotAfter`). */
  readonly restartNeeded: string[];
  readonly restarted: string[];
  /** Nodes running here that took the renewed CA or TLS CA by a reload: their local MSP and client CA roots hold it now. */
  readonly reloaded: string[];
}

/** The MSP config with every copy of `ca` (a root or TLS root, a NodeOU or OU identifier's certificate) replaced by `renewed`. */
function withRenewedCa(msp: FabricMSPConfig, authority: OrgAuthority, which: 'ca' | 'tlsca', renewed: RenewedCa): FabricMSPConfig {
  const next = msp.cloneMessage();
  const fresh = Buffer.from(renewed.certPem);
  const swap = (cert: Uint8Array): Uint8Array => (cert.length > 0 && authority.sameCa(cert, Buffer.from(renewed.previousPem)) ? fresh : cert);
  if (which === 'tlsca') {
    next.setTlsRootCertsList(next.getTlsRootCertsList_asU8().map(swap));
    return next;
  }
  // Replaced, not added: two roots with the same subject and key give every identity two chains,
  // and Fabric's MSP refuses an identity without exactly one (getUniqueValidationChain).
  next.setRootCertsList(next.getRootCertsList_asU8().map(swap));
  // A NodeOU or OU identifier names its CA by certificate, which must be one of the roots
  // (getCertifiersIdentifier): the old one would make the whole MSP fail to set up.
  const ids: (FabricOUIdentifier | undefined)[] = [...next.getOrganizationalUnitIdentifiersList()];
  const ous = next.getFabricNodeOus();
  if (ous !== undefined) ids.push(ous.getClientOuIdentifier(), ous.getPeerOuIdentifier(), ous.getAdminOuIdentifier(), ous.getOrdererOuIdentifier());
  for (const id of ids) if (id !== undefined) id.setCertificate(swap(id.getCertificate_asU8()));
  return next;
}

/** Every certificate file under `organizations/` holding a copy of `renewed`'s old certificate (not yet the new one). */
function copiesOf(network: NetworkLayout, authority: OrgAuthority, renewed: RenewedCa): string[] {
  const previous = Buffer.from(renewed.previousPem);
  return fs
    .readdirSync(network.organizationsDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(pem|crt)$/.test(e.name) && !isPrivateKey(path.join(e.parentPath, e.name)))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => {
      const bytes = fs.readFileSync(file);
      if (!bytes.includes('-----BEGIN CERTIFICATE-----') || bytes.equals(Buffer.from(renewed.certPem))) return false;
      try {
        return new X509Certificate(bytes).ca && authority.sameCa(bytes, previous);
      } catch {
        return false;
      }
    });
}

/**
 * Refuses, before anything is written, to renew an expired CA: re-issuing it (same key) is possible,
 * but the channels hold the expired root until a config update the org's Admin signs replaces it,
 * and the Admin's certificate ended with the CA (what a CA issues is capped at its own end). The MSP
 * would still take that signature (Fabric checks a chain at the leaf's NotBefore + 1s), but the
 * update cannot get through: peers refuse an expired creator's proposals (the CLI reads each
 * channel's config through them), orderers its broadcast (unless `noExpirationChecks`), and TLS every
 * certificate of an expired TLS CA. A certificate issued from now on does not chain to the expired
 * root, so renewing the Admin first does not help either.
 */
function assertNotExpired(org: MspOrg, renewed: ReadonlyMap<'ca' | 'tlsca', RenewedCa>, now: Date): void {
  for (const [which, ca] of renewed) {
    const end = new Date(new X509Certificate(ca.previousPem).validTo);
    if (end.getTime() > now.getTime()) continue;
    const what = which === 'ca' ? 'CA' : 'TLS CA';
    const why =
      which === 'ca'
        ? `the channel update that would put the renewed certificate in place must be signed by ${org.mspId}'s Admin, whose certificate ended with it, and peers and orderers refuse an expired signer (a certificate issued from now on would not chain to the expired root the channels hold)`
        : `every TLS certificate it issued ended with it, so no node of ${org.mspId} can be reached over TLS to carry the channel update that would replace it`;
    throw new ConfigError('CA_EXPIRED', `${org.name}'s ${what} (${ca.fileName}) expired on ${end.toISOString()}: ${why}. weft network renew cannot recover an expired ${what} in place; nothing was changed`, {
      field: which === 'ca' ? '--ca' : '--tls-ca',
      file: path.join(org.orgDir, which, ca.fileName),
      notAfter: end.toISOString(),
      suggestions: ['renew a CA before it expires: weft network status lists one within 30 days of its end, and renew --ca/--tls-ca then needs no restart'],
    });
  }
}

/** Writes every file's new content beside it, then renames each onto it: no file is seen half written. */
function replaceFiles(contents: ReadonlyMap<string, string>): void {
  const staged = [...contents].map(([file, text]) => {
    const tmp = `${file}.weft-renew-${process.pid}`;
    fs.writeFileSync(tmp, text, { mode: fs.statSync(file).mode & 0o777 });
    return [tmp, file] as const;
  });
  for (const [tmp, file] of staged) fs.renameSync(tmp, file);
}

/** Nodes of this directory that read one of `files` at start: a copy in their folder, or a path in their config. */
function nodesReading(network: NetworkLayout, files: readonly string[]): NodeLayout[] {
  return network.nodes().filter((node) => {
    const config = fs.existsSync(node.configFile) ? fs.readFileSync(node.configFile, 'utf8') : '';
    return files.some((f) => f.startsWith(node.cryptoDir + path.sep) || config.includes(path.relative(node.nodeDir, f)) || config.includes(f));
  });
}

/**
 * `weft network renew --org O --ca/--tls-ca`: re-issues the org's CA (or TLS CA) certificate for
 * the same key, subject and SKI, so every certificate it issued still chains to it, with a new
 * expiry; replaces it in the org's MSP in every channel (root_certs or tls_root_certs, and the
 * NodeOU identifiers, by config updates the org's Admin signs, waiting for this directory's peers);
 * then rewrites every copy under `organizations/` under the same file name (NodeOU config.yaml
 * files point at them). Channels first, files last: a run that stopped midway is finished by
 * running it again, as the copies still hold the old certificate and each channel is matched by
 * the CA's subject and key, not its bytes. Running nodes here then reload: their local MSP and every
 * listener's client CA roots (gRPC, operations, admin) hold the renewed copy; one that cannot reload
 * keeps the copy it read until restarted (good until the old certificate's expiry); `restart`
 * restarts those running here instead.
 */
export async function renewOrgCas(dir: string, options: RenewCaOptions, progress: Progress): Promise<RenewCaResult> {
  if (options.days !== undefined && (!Number.isInteger(options.days) || options.days < 1)) {
    throw new ConfigError('BAD_DAYS', `--days ${options.days}: expected a whole number of days, at least 1`, { field: '--days', value: options.days });
  }
  const network = openNetwork(dir);
  const org: MspOrg = resolveMspOrg(network, options.org);
  const which = [...(options.ca ? ['ca' as const] : []), ...(options.tlsCa ? ['tlsca' as const] : [])];
  if (which.length === 0) throw new ConfigError('RENEW_TARGET', 'name the CA to renew: --ca, --tls-ca, or both', { field: '--ca' });
  assertCaKeysHere(network, org.peerOrg ?? network.spec.ordererOrg, which, `renewing ${org.name}'s ${which.join(' and ')}`);
  assertOrgAdminHere(network, org);
  const authority = orgAuthority();
  const now = new Date();
  const notAfter = options.days === undefined ? undefined : new Date(now.getTime() + options.days * DAY_MS);
  const orgRef = { orgDir: org.orgDir, domain: org.domain };
  const renewed = new Map<'ca' | 'tlsca', RenewedCa>();
  for (const w of which) renewed.set(w, await authority.renewOrgCa(orgRef, w, { now, ...(notAfter !== undefined && { notAfter }) }));
  assertNotExpired(org, renewed, now);

  const channels: ChannelUpdated[] = [];
  for (const state of await orgMspStates(network, org)) {
    let msp = state.msp;
    for (const [w, ca] of renewed) msp = withRenewedCa(msp, authority, w, ca);
    if (Buffer.from(msp.serializeBinary()).equals(Buffer.from(state.msp.serializeBinary()))) continue;
    channels.push(
      await setOrgMsp(network, org, state, msp, `renewed ${which.join(' and ')} certificate`, progress, {
        code: 'CA_RENEWAL_UNCONFIRMED',
        rerun: `run the same weft network renew --org ${org.name} again once the peers are up: it re-issues the certificate and finishes every channel and file`,
      }),
    );
  }

  const contents = new Map<string, string>();
  for (const ca of renewed.values()) for (const file of copiesOf(network, authority, ca)) contents.set(file, ca.certPem);
  replaceFiles(contents);
  const files = [...contents.keys()];
  progress(`${files.length} cop${files.length === 1 ? 'y' : 'ies'} of ${org.mspId}'s ${which.join(' and ')} certificate replaced under ${network.organizationsDir}`);

  const running = nodesReading(network, files).filter((n) => runningPid(n) !== undefined);
  const restarted: string[] = [];
  let reloaded: string[] = [];
  let waiting = running.map((n) => n.id);
  if (options.restart === true && running.length > 0) {
    const ids = running.map((n) => n.id);
    await networkDown(dir, 10_000, progress, ids);
    await networkUp(dir, progress, ids);
    restarted.push(...ids);
    waiting = [];
  } else if (running.length > 0) {
    // A CA's copies a node reads are in its local MSP; a TLS CA's also in its listeners' client root
    // files: a reload re-reads all of them.
    const r = await reloadLocalMsps(network, running, progress);
    reloaded = r.reloaded;
    waiting = [...r.signalled, ...r.restartNeeded];
  }
  if (waiting.length > 0) {
    const until = [...renewed.values()].map((c) => new X509Certificate(c.previousPem).validTo).join(', ');
    progress(`${waiting.join(', ')} run on the old copy until restarted (good until ${until}): weft network down ${dir} --node <id> && weft network up ${dir} --node <id>, or renew with --restart`);
  }
  return {
    org: org.name,
    mspId: org.mspId,
    cas: [...renewed].map(([w, c]) => ({
      which: w,
      fileName: c.fileName,
      serialNumber: c.serialNumber,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      previousNotAfter: new Date(new X509Certificate(c.previousPem).validTo).toISOString(),
    })),
    channels,
    files,
    restartNeeded: waiting,
    restarted,
    reloaded,
  };
}
