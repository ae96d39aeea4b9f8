import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import type { RenewedMember } from '../../../core/msp/crypto-material';
import { resolveOrg } from '../chaincode/org-args';
import { memberKeyInToken } from '../client/cli-token';
import { openNetwork, type Progress } from './network-access';
import { namedNodes, networkDown, networkUp } from './network-control';
import { type NetworkLayout, type NodeLayout, orgNamed } from './network-layout';
import type { NetworkSpec, PeerOrgSpec } from './network-spec';
import { assertCaKeysHere } from './network-users';
import { orgAuthority } from './org-authority';
import { runningPid, servesCurrentTlsCertificate, signalReload } from './node-processes';
import { backupRunDir, revokeEarlierCertificates, type OldCertificatesRevoked, type RenewedMemberRef } from './node-revocation';
import { assertOrgAdminHere, mspOrgOf, resolveMspOrg, type ChannelUpdated } from './org-msp-channels';
import { rotateConsenterCertificate } from './consenter-rotation';
import { consenterRenewalOfServing } from './consenter-renewal';
import { StagingDir } from './staging-dir';
import { shellWord } from '../../../core/node/shell-word';


const DAY_MS = 86_400_000;
/** How long a node has to serve its renewed TLS certificate after the reload signal. */
const RELOAD_TIMEOUT_MS = 15_000;

export interface RenewOptions {
  readonly org?: string;
  /** A node by its full name (`peer0.org1.example.com`). */
  readonly node?: string;
  /** A user of `org` (`User1`, `Admin`). */
  readonly user?: string;
  /** Validity of the new certificates in days; init's ten years by default. Capped at the CA's own expiry. */
  readonly days?: number;
  /** Restart the node if it runs here (instead of reloading its certificates live). */
  readonly restart?: boolean;
  /**
   * Then put the replaced enrollment certificate on the org CA's CRL in every channel. A node
   * running here must have taken the new certificates first (a verified reload, or `--restart`):
   * revoking the certificate it still signs with would make its endorsements fail.
   */
  readonly revokeOld?: boolean;
}

export interface RenewedCert {
  readonly path: string;
  readonly serialNumber: string;
  readonly notAfter: string;
}

export interface RenewResult {
  /** `peer0.org1.example.com`, `User1@org1.example.com`. */
  readonly id: string;
  readonly kind: 'peer' | 'orderer' | 'user';
  readonly mspId: string;
  readonly enrollment: RenewedCert;
  readonly tls?: RenewedCert;
  /** The replaced folder, old certificates and keys included (mode 0700). */
  readonly backupDir: string;
  /** Whether `--restart` restarted the node (it was running here). */
  readonly restarted: boolean;
  /** Whether the node running here reloaded its certificates live (SIGHUP, then its new TLS certificate seen served), same pid. */
  readonly reloaded: boolean;
  /** Whether the node still runs on its old certificates until restarted. */
  readonly restartNeeded: boolean;
  /** With `revokeOld`: the earlier certificates now on the CRL. */
  readonly revoked?: OldCertificatesRevoked;
  /** An orderer running here: the channels (etcdraft, naming it as their consenter) whose consenter certificate was updated to its new TLS certificate before it switched. */
  readonly consenterUpdates?: ChannelUpdated[];
  /** Whether the signing key is in a PKCS#11 token: the enrollment certificate was re-issued for that same key, `keystore/` left empty. */
  readonly keyInToken: boolean;
}

/** What renew acts on: the member's folder, its org's, and how to report it. */
interface Target {
  readonly id: string;
  readonly kind: RenewResult['kind'];
  readonly mspId: string;
  readonly org: PeerOrgSpec | NetworkSpec['ordererOrg'];
  readonly orgDir: string;
  readonly memberDir: string;
  readonly node?: NodeLayout;
  /** The flag that named it, for errors. */
  readonly field: '--node' | '--user';
}

function checkOptions(options: RenewOptions): void {
  if ((options.node === undefined) === (options.user === undefined)) {
    throw new ConfigError('RENEW_TARGET', options.node === undefined ? 'name what to renew: --node <name> or --user <name> (with --org)' : '--node and --user name two things to renew: name one', {
      field: options.node === undefined ? '--node' : '--user',
      suggestions: ['weft network renew <dir> --node peer0.org1.example.com', 'weft network renew <dir> --org Org1 --user User1'],
    });
  }
  if (options.days !== undefined && (!Number.isInteger(options.days) || options.days < 1)) {
    throw new ConfigError('BAD_DAYS', `--days ${options.days}: expected a whole number of days, at least 1`, { field: '--days', value: options.days });
  }
  if (options.restart === true && options.user !== undefined) {
    throw new ConfigError('RESTART_NEEDS_NODE', '--restart restarts a node; a user has no process: its next command uses the new certificate', { field: '--restart' });
  }
}

function nodeTarget(layout: NetworkLayout, options: RenewOptions): Target {
  const node = namedNodes(layout, layout.nodes(), [options.node!])[0]!;
  const peerOrg = layout.spec.orgs.find((o) => o.mspId === node.mspId);
  const org = peerOrg ?? layout.spec.ordererOrg;
  if (options.org !== undefined && !orgNamed(org, options.org)) {
    throw new ConfigError('NODE_NOT_IN_ORG', `--node ${node.id} is a node of ${org.name} (${org.mspId}), not of --org ${options.org}`, { field: '--node', value: node.id, org: org.name });
  }
  return { id: node.id, kind: node.kind, mspId: org.mspId, org, orgDir: peerOrg === undefined ? layout.ordererOrgDir() : layout.peerOrgDir(peerOrg), memberDir: node.cryptoDir, node, field: '--node' };
}

function userTarget(layout: NetworkLayout, options: RenewOptions): Target {
  const name = options.user!;
  const o = layout.spec.ordererOrg;
  // The orderer org's Admin (channel participation API) is the one user of the orderer org.
  if (options.org !== undefined && orgNamed(o, options.org)) {
    if (name !== 'Admin') throw new ConfigError('UNKNOWN_USER', `--user ${name}: ${o.name}'s one user is Admin`, { field: '--user', value: name });
    const admin = layout.ordererAdmin();
    return { id: admin.id, kind: 'user', mspId: o.mspId, org: o, orgDir: layout.ordererOrgDir(), memberDir: path.dirname(admin.mspDir), field: '--user' };
  }
  const org = resolveOrg(layout, options.org);
  if (!org.users.includes(name)) {
    throw new ConfigError('UNKNOWN_USER', `--user ${name}: ${org.name} has no such user (users: ${org.users.join(', ')})`, { field: '--user', value: name, org: org.name });
  }
  const user = layout.user(org, name);
  return { id: user.id, kind: 'user', mspId: org.mspId, org, orgDir: layout.peerOrgDir(org), memberDir: path.dirname(user.mspDir), field: '--user' };
}

/**
 * Issues a member's renewed folder into a staging copy of `memberDir` (`issue` writes it to the
 * folder it is given), then swaps that in: the live folder moves to
 * `backups/renew-<now>/<its path under the network directory>` and the copy takes its place, so a
 * reader sees the old folder or the new one; a failed swap puts the old one back. `beforeSwap`, given
 * the staging folder, runs between the two (an etcdraft orderer's channels told its new certificate);
 * when it throws, nothing is swapped.
 */
export async function renewInPlace(
  networkDir: string,
  memberDir: string,
  now: Date,
  issue: (outDir: string) => Promise<RenewedMember>,
  beforeSwap?: (outDir: string) => Promise<void>,
): Promise<{ issued: RenewedMember; backupDir: string }> {
  const staging = new StagingDir(memberDir);
  try {
    const issued = await issue(staging.dir);
    await beforeSwap?.(staging.dir);
    const backupDir = path.join(backupRunDir(networkDir, 'renew', now), path.relative(networkDir, memberDir));
    fs.mkdirSync(path.dirname(backupDir), { recursive: true, mode: 0o700 });
    fs.renameSync(memberDir, backupDir);
    try {
      staging.commit();
    } catch (err) {
      fs.renameSync(backupDir, memberDir);
      throw err;
    }
    return { issued, backupDir };
  } finally {
    staging.dispose();
  }
}

/**
 * `weft network renew`: fabric-ca-client reenroll for a node or user of a network made by `weft
 * network init`. Re-issues its enrollment and TLS certificates from its org's CAs (same subject and
 * SANs, new keys 0600; a signing key in a PKCS#11 token is kept, see {@link memberKeyInToken}) into a staging copy of its folder, then swaps that in: the live folder moves
 * to `backups/` and the copy takes its place, so a reader sees the old folder or the new one. The
 * channel configs trust the org's CAs, not the certificates, with one exception: an etcdraft channel
 * names its orderer's TLS certificate as its consenter, so for an orderer (of an etcdraft network, or
 * of a solo one joined to an etcdraft channel) each channel is first updated to the new certificate
 * ({@link rotateConsenterCertificate}), before the swap, or it keeps its TLS key ({@link consenterRenewalOfServing}: it does
 * not run here, a certificate that signs the update ended, or it lists a channel as failed).
 * A node running here is told to reload its certificates (SIGHUP) and checked to serve the new
 * TLS certificate (it switches its signer, and a peer the client certificate it dials with, in the
 * same step); with `restart`, it is stopped and started again and waited for instead.
 */
export async function renewMember(dir: string, options: RenewOptions, progress: Progress): Promise<RenewResult> {
  checkOptions(options);
  const layout = openNetwork(dir);
  const target = options.node !== undefined ? nodeTarget(layout, options) : userTarget(layout, options);
  assertCaKeysHere(layout, target.org, ['ca', 'tlsca'], `renewing ${target.id}`);
  const member: RenewedMemberRef = {
    id: target.id,
    memberDir: target.memberDir,
    org: 'peers' in target.org ? mspOrgOf(layout, target.org) : resolveMspOrg(layout, target.org.mspId),
    field: target.field,
    ...(target.node !== undefined && { node: target.node }),
  };
  if (options.revokeOld === true) {
    assertOrgAdminHere(layout, member.org);
  }
  const keyInToken = memberKeyInToken({ id: target.id, mspDir: path.join(target.memberDir, 'msp'), ...(target.node !== undefined && { configFile: target.node.configFile }) });
  const renewal = orgAuthority();
  const now = new Date();
  const notAfter = options.days === undefined ? undefined : new Date(now.getTime() + options.days * DAY_MS);

  // An etcdraft channel names its orderer by TLS certificate: each channel learns the new one before the node switches to it, or the key stays.
  const consenter = await consenterRenewalOfServing(layout, target.node, now);
  const keepTlsKey = consenter?.rotate === false;
  if (consenter?.rotate === false) progress(`${consenter.why}: ${target.id}'s TLS certificate is re-issued for the key it has, by which its channels find it`);
  let consenterUpdates: ChannelUpdated[] | undefined;
  const { issued, backupDir } = await renewInPlace(
    layout.dir,
    target.memberDir,
    now,
    (outDir) =>
      renewal.renewOrgMember({ orgDir: target.orgDir, domain: target.org.domain }, target.memberDir, outDir, { ...(notAfter === undefined ? {} : { notAfter }), ...(keepTlsKey && { keepTlsKey }) }),
    consenter?.rotate !== true
      ? undefined
      : async (outDir) => {
          const tlsCert = (dir: string) => fs.readFileSync(path.join(dir, 'tls', 'server.crt'));
          consenterUpdates = await rotateConsenterCertificate(layout, target.node!, tlsCert(target.memberDir), tlsCert(outDir), progress);
        },
  );
  progress(`${target.id}: new certificates from ${target.mspId}'s CA and TLS CA, valid until ${issued.enrollment.notAfter.toISOString()}; the old ones are in ${backupDir}`);
  if (keyInToken) progress(`${target.id}: its signing key is in a PKCS#11 token: the new enrollment certificate is for that same key (nothing written to keystore/)`);

  const certIn = (sub: string, pick: (f: string) => boolean): string => {
    const folder = path.join(target.memberDir, sub);
    return path.join(folder, fs.readdirSync(folder).find(pick)!);
  };
  const running = target.node !== undefined && runningPid(target.node) !== undefined;
  let restarted = false;
  let reloaded = false;
  if (running && options.restart === true) {
    await networkDown(dir, 10_000, progress, [target.id]);
    await networkUp(dir, progress, [target.id]);
    restarted = true;
  } else if (running) {
    reloaded = await reloadNode(target.node!, layout.spec.tls, progress);
    if (!reloaded) {
      progress(`${target.id} runs on its old certificates until restarted: weft network down ${shellWord(dir)} --node ${target.id} && weft network up ${shellWord(dir)} --node ${target.id} (or renew with --restart)`);
    }
  } else if (target.node !== undefined) {
    progress(`${target.id} does not run here: its next start (weft network up) uses the new certificates; where it runs elsewhere, copy ${target.memberDir} there and restart it`);
  }
  if (options.revokeOld === true && running && !restarted && !reloaded) {
    throw new ConfigError('REVOKE_OLD_NEEDS_RESTART', `--revoke-old: ${target.id} was renewed but did not take the new certificates live, and would go on signing with the certificate revoked; nothing was revoked`, {
      field: '--revoke-old',
      suggestions: [`restart it (weft network down ${shellWord(dir)} --node ${target.id} && weft network up ${shellWord(dir)} --node ${target.id}), then: weft network revoke ${shellWord(dir)} --node ${target.id}`],
    });
  }
  const revoked = options.revokeOld === true ? await revokeEarlierCertificates(layout, member, progress) : undefined;
  const cert = (file: string, c: { serialNumber: string; notAfter: Date }): RenewedCert => ({ path: file, serialNumber: c.serialNumber, notAfter: c.notAfter.toISOString() });
  return {
    id: target.id,
    kind: target.kind,
    mspId: target.mspId,
    enrollment: cert(certIn(path.join('msp', 'signcerts'), (f) => f.endsWith('.pem')), issued.enrollment),
    ...(issued.tls === undefined ? {} : { tls: cert(certIn('tls', (f) => f === 'server.crt' || f === 'client.crt'), issued.tls) }),
    backupDir,
    restarted,
    reloaded,
    restartNeeded: running && !restarted && !reloaded,
    ...(consenterUpdates !== undefined && { consenterUpdates }),
    ...(revoked !== undefined && { revoked }),
    keyInToken,
  };
}

/**
 * Signals the node to reload and waits until a new TLS handshake sees its renewed certificate: the
 * node switches its TLS identities (its listeners', and the client certificate a peer dials with,
 * its Deliver streams moving to new connections) and its signer together, so that is the
 * enrollment certificate in use too. False (and why, through `progress`) when it did not within {@link RELOAD_TIMEOUT_MS}:
 * an older Weft that SIGHUP ends, or a node that refused the files (its log says why); at once on a
 * network without TLS, where there is no handshake to check.
 */
async function reloadNode(node: NodeLayout, tls: boolean, progress: Progress): Promise<boolean> {
  const pid = signalReload(node);
  if (pid === undefined) {
    progress(`${node.id} does not handle the reload signal (SIGHUP would end it: a Weft from before certificate reloads): not signalled`);
    return false;
  }
  if (!tls) {
    progress(`${node.id} was told to reload its certificates (pid ${pid}); a network without TLS gives no handshake to check that by: its log (${node.logFile}) says whether it took them`);
    return false;
  }
  const deadline = Date.now() + RELOAD_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (runningPid(node) !== pid) {
      progress(`${node.id} (pid ${pid}) exited on the reload signal: start it with weft network up --node ${node.id}`);
      return false;
    }
    if (await servesCurrentTlsCertificate(node)) {
      progress(`${node.id} reloaded its certificates (pid ${pid}): it serves, signs and dials other nodes with the new ones`);
      return true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  progress(`${node.id} did not serve its new TLS certificate within ${RELOAD_TIMEOUT_MS / 1000}s of the reload signal; its log (${node.logFile}) says why`);
  return false;
}
