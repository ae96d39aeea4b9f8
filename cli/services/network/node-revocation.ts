import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { DataDirLock } from '../../../core/node/data-dir-lock';
import { openNetwork, type Progress } from './network-access';
import { namedNodes } from './network-control';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { assertCaKeysHere } from './network-users';
import { runningPid, servesCurrentTlsCertificate } from './node-processes';
import { assertOrgAdminHere, resolveMspOrg, type ChannelUpdated, type MspOrg } from './org-msp-channels';
import type { LocalMspReloads } from './node-reload';
import { revokeCertificates } from './org-revocation';
import { shellWord } from '../../../core/node/shell-word';

/** Where `weft network renew` keeps the folders it replaced, under the network directory: outside `organizations/`, so no export copies the old keys. */
export const BACKUPS_DIR = 'backups';

/** A member whose earlier certificates `weft network renew` kept: a node, or a user (no process). */
export interface RenewedMemberRef {
  readonly id: string;
  readonly memberDir: string;
  readonly org: MspOrg;
  readonly node?: NodeLayout;
  /** The flag that named it, for errors. */
  readonly field: '--node' | '--user';
}

export interface OldCertificatesRevoked extends LocalMspReloads {
  readonly id: string;
  readonly mspId: string;
  /** Serials of the earlier enrollment certificates now on the CRL (hex, no leading zeros). */
  readonly serialNumbers: string[];
  readonly crlNumber: number;
  /** Serials of the earlier TLS certificates now on the org TLS CA's CRL, and its number (absent with `noTls` or when none was kept). */
  readonly tls?: { readonly serialNumbers: string[]; readonly crlNumber: number };
  readonly channels: ChannelUpdated[];
  readonly crlFiles: string[];
}

/** The member's current enrollment certificate file. */
function currentCertFile(memberDir: string): string {
  const dir = path.join(memberDir, 'msp', 'signcerts');
  const file = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.pem')) : undefined;
  if (file === undefined) throw new ConfigError('MEMBER_CERT_MISSING', `no enrollment certificate in ${dir}`, { file: dir });
  return path.join(dir, file);
}

/**
 * A new run folder under `backups/` (`renew-<time>`, `remove-<time>`): the folders a command
 * replaces or retires move into it under their paths relative to the network directory. `backups/`
 * is made 0700 first, since old private keys go in there.
 */
export function backupRunDir(networkDir: string, run: 'renew' | 'remove', now: Date): string {
  const root = path.join(networkDir, BACKUPS_DIR);
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  fs.chmodSync(root, 0o700);
  return path.join(root, `${run}-${now.toISOString().replace(/[:.]/g, '-')}`);
}

/**
 * Every enrollment certificate (`which`: or TLS certificate) of the member kept under `backups/`,
 * each once: those `weft network renew` replaced (`renew-*`) and, for a peer `weft network
 * remove-peer` retired, its last one (`remove-*`).
 */
export function backedUpCertificates(networkDir: string, memberDir: string, which: 'enrollment' | 'tls' = 'enrollment'): Buffer[] {
  const root = path.join(networkDir, BACKUPS_DIR);
  const rel = path.relative(networkDir, memberDir);
  const runs = fs.existsSync(root) ? fs.readdirSync(root).filter((r) => r.startsWith('renew-') || r.startsWith('remove-')) : [];
  const [sub, pick] = which === 'tls' ? ['tls', (f: string) => f === 'server.crt' || f === 'client.crt'] : [path.join('msp', 'signcerts'), (f: string) => f.endsWith('.pem')];
  return runs.flatMap((run) => {
    const dir = path.join(root, run, rel, sub);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter(pick).map((f) => fs.readFileSync(path.join(dir, f))) : [];
  }).filter((pem, i, all) => all.findIndex((p) => p.equals(pem)) === i);
}

/**
 * The TLS certificates of the member kept under `backups/` other than the one in its `tls/` now,
 * and only those the org's TLS CA (its key now) issued: its CRL cannot list another CA's.
 */
function earlierTlsCertificates(network: NetworkLayout, member: RenewedMemberRef, progress: Progress): Buffer[] {
  return memberTlsCertificates(network.dir, member, false, progress);
}

/**
 * A member's TLS certificates its org's TLS CA signed: those `backups/` keep and (with `current`)
 * those in its `tls/` folder now, each once. One another TLS CA issued is reported and left off,
 * as that CA's CRL is not the org's to write.
 */
export function memberTlsCertificates(networkDir: string, member: Pick<RenewedMemberRef, 'id' | 'memberDir' | 'org'>, current: boolean, progress: Progress): Buffer[] {
  const tlsDir = path.join(member.memberDir, 'tls');
  const now = ['server.crt', 'client.crt'].map((f) => path.join(tlsDir, f)).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f));
  const caDir = path.join(member.org.orgDir, 'tlsca');
  const caFile = fs.existsSync(caDir) ? fs.readdirSync(caDir).find((f) => f.endsWith('-cert.pem')) : undefined;
  if (caFile === undefined) return [];
  const caKey = new X509Certificate(fs.readFileSync(path.join(caDir, caFile))).publicKey;
  const candidates = [...(current ? now : []), ...backedUpCertificates(networkDir, member.memberDir, 'tls').filter((pem) => !now.some((c) => c.equals(pem)))];
  return candidates.filter((pem, i) => {
    if (candidates.findIndex((c) => c.equals(pem)) !== i) return false;
    if (new X509Certificate(pem).verify(caKey)) return true;
    progress(`a TLS certificate of ${member.id} was issued by another TLS CA than ${member.org.mspId}'s now: left off its CRL`);
    return false;
  });
}

/** The enrollment certificates of the member kept under `backups/`, other than its current one. */
function earlierCertificates(network: NetworkLayout, member: RenewedMemberRef, current: Buffer): Buffer[] {
  return backedUpCertificates(network.dir, member.memberDir).filter((pem) => !pem.equals(current));
}

/**
 * Refuses (`NODE_RUNS_ON_OLD_CERT`) while the node runs here on a certificate older than its
 * current one: it started (took its data directory) before that file was written, and has not
 * reloaded its certificates since (it would serve the folder's TLS certificate). Revoking then
 * would make its endorsements and blocks fail validation everywhere.
 */
export async function assertNotRunningOnOld(member: RenewedMemberRef, certFile: string): Promise<void> {
  if (member.node === undefined || runningPid(member.node) === undefined) return;
  const since = DataDirLock.holderOf(member.node.dataDir)?.since;
  if (since !== undefined && new Date(since).getTime() >= fs.statSync(certFile).mtimeMs) return;
  if (await servesCurrentTlsCertificate(member.node)) return;
  throw new ConfigError('NODE_RUNS_ON_OLD_CERT', `${member.field} ${member.id}: it runs here on a certificate it read before ${certFile} was renewed; revoking that one would make its own signatures fail`, {
    field: member.field,
    value: member.id,
    suggestions: [`restart it first (weft network down/up --node ${member.id}), or renew with --restart --revoke-old`],
  });
}

/**
 * Puts every earlier enrollment certificate of a renewed node or user (those `weft network renew`
 * kept under `backups/`) on its org CA's CRL, in every channel of the org and its MSP folders
 * (`revokeCertificates`, as `weft network revoke` does a user), and its earlier TLS certificates on
 * the org TLS CA's CRL: Fabric checks CRLs on identities only, Weft nodes also refuse connections
 * presenting a revoked TLS certificate (`noTls` leaves those, as Fabric's tooling does). Refuses
 * `NOTHING_TO_REVOKE` when there is no earlier certificate, and a node still running on one.
 * Finished by running it again.
 */
export async function revokeEarlierCertificates(network: NetworkLayout, member: RenewedMemberRef, progress: Progress, options: { noTls?: boolean } = {}): Promise<OldCertificatesRevoked> {
  const certFile = currentCertFile(member.memberDir);
  const current = fs.readFileSync(certFile);
  const earlier = earlierCertificates(network, member, current);
  if (earlier.length === 0) {
    throw new ConfigError('NOTHING_TO_REVOKE', `${member.field} ${member.id}: no earlier certificate of it in ${path.join(network.dir, BACKUPS_DIR)}: only one weft network renew replaced is revoked this way`, {
      field: member.field,
      value: member.id,
      suggestions: [`renew it and revoke the old one at once: weft network renew ${shellWord(network.dir)} ${member.field} ${member.id} --revoke-old`],
    });
  }
  await assertNotRunningOnOld(member, certFile);
  const tlsCertificates = options.noTls === true ? [] : earlierTlsCertificates(network, member, progress).map((pem) => ({ label: `${member.id}'s earlier`, pem }));
  assertCaKeysHere(network, member.org.peerOrg ?? network.spec.ordererOrg, tlsCertificates.length === 0 ? ['ca'] : ['ca', 'tlsca'], `revoking ${member.id}'s earlier certificates`);
  assertOrgAdminHere(network, member.org);
  const done = await revokeCertificates(
    network,
    member.org,
    earlier.map((pem) => ({ label: `${member.id}'s earlier`, pem })),
    progress,
    {
      alreadyDone: (channels) => {
        throw new ConfigError('ALREADY_REVOKED', `${member.field} ${member.id}: its earlier certificates are on ${member.org.mspId}'s CRL in every channel (${channels.join(', ')}) and in its MSP folder already; nothing was changed`, { field: member.field, value: member.id });
      },
      rerun:
        member.node !== undefined
          ? `run weft network revoke ${shellWord(network.dir)} --node ${member.id} once the peers answer`
          : `run weft network renew ${shellWord(network.dir)} --org ${member.org.name} --user ${member.id.split('@')[0]} --revoke-old again once the peers answer: it renews once more and revokes every earlier certificate`,
      tlsCertificates,
    },
  );
  const { reloaded, signalled, restartNeeded } = done;
  return {
    id: member.id,
    mspId: member.org.mspId,
    serialNumbers: done.serialNumbers,
    crlNumber: done.crlNumber,
    ...(done.tls === undefined ? {} : { tls: done.tls }),
    channels: done.channels,
    crlFiles: done.crlFiles,
    reloaded,
    signalled,
    restartNeeded,
  };
}

/** `weft network revoke --node X`: {@link revokeEarlierCertificates} for a node of this directory. */
export async function revokeNodeEarlierCertificates(dir: string, options: { node: string; noTls?: boolean }, progress: Progress): Promise<OldCertificatesRevoked> {
  const network = openNetwork(dir);
  const node = namedNodes(network, network.nodes(), [options.node])[0]!;
  const org = resolveMspOrg(network, node.mspId);
  return revokeEarlierCertificates(network, { id: node.id, memberDir: node.cryptoDir, org, node, field: '--node' }, progress, { noTls: options.noTls });
}
