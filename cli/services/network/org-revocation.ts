import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { resolveOrg } from '../chaincode/org-args';
import { openNetwork, type Progress } from './network-access';
import { renderNetworkFile, replaceNetworkFile } from './network-channels';
import type { NetworkLayout } from './network-layout';
import { NETWORK_FILE, type PeerOrgSpec } from './network-spec';
import { assertCaKeysHere } from './network-users';
import { orgAuthority } from './org-authority';
import { keyNotHere, signingKeyHere } from './org-keys';
import { mspOrgOf, orgMspStates, setOrgMsp, type ChannelUpdated, type MspOrg } from './org-msp-channels';
import { replaceFile } from '../../../core/node/durable-files';
import { type LocalMspReloads, reloadLocalMsps } from './node-reload';
import { mspFolderCrls } from '../client/server-revocation';
import { shellWord } from '../../../core/node/shell-word';

/** The CRL file `weft network revoke` writes into an MSP folder's `crls/` (one per org CA; each new one lists every serial the last did). */
export const CRL_FILE = 'crl.pem';

export interface RevokeResult extends LocalMspReloads {
  readonly org: string;
  readonly mspId: string;
  readonly user: string;
  readonly serialNumber: string;
  readonly crlNumber: number;
  /** Every serial the org's CRL now lists. */
  readonly revokedSerials: string[];
  /** The user's TLS certificate serial and the org TLS CA's CRL number (absent with `noTls`). */
  readonly tls?: { readonly serialNumber: string; readonly crlNumber: number };
  /** Channels whose config now carries the CRL, with the config block that does; channels that had it already are left out. */
  readonly channels: { channel: string; orderer: string; configBlock?: number }[];
  /** MSP folders the CRL was written to: the org's, and its nodes' local MSPs (reloaded by those running here). */
  readonly crlFiles: string[];
}

/**
 * `weft network revoke`: fabric-ca-client revoke + gencrl, configtxlator and `peer channel update`
 * in one step. Adds the user's enrollment certificate to its org CA's CRL (earlier serials kept,
 * the CRL number one higher), sets that CRL as the org's MSP `revocation_list` in every channel
 * the org is a member of (a config update signed by the org's Admin, which the org MSP value's
 * mod_policy `Admins` names) and waits for this directory's peers to hold each config block; then
 * writes the CRL into the org's MSP folders and takes the user out of network.yaml's `users`
 * (its certificate stays on disk, so the name is not given out again). Every check comes first;
 * nothing local is written until every channel has the CRL, so a run that failed midway is
 * finished by running it again: channels that already revoke the certificate are skipped.
 *
 * The user's TLS certificate goes on the org TLS CA's CRL the same way (same config updates, the
 * MSP folders' `crls/tls-crl.pem`), so Weft nodes refuse its connections; `noTls` leaves it, as
 * Fabric's tooling does.
 */
export async function revokeUser(dir: string, options: { org: string; user: string; noTls?: boolean }, progress: Progress): Promise<RevokeResult> {
  if (options.user === '' || options.org === '') {
    throw new ConfigError('REVOKE_TARGET', 'name what to revoke: --org <org> --user <name>, or --node <name> (a renewed node\'s earlier certificates)', {
      field: options.org === '' ? '--org' : '--user',
      suggestions: ['weft network revoke <dir> --org Org1 --user User2', 'weft network revoke <dir> --node peer0.org1.example.com'],
    });
  }
  const network = openNetwork(dir);
  const o = network.spec.ordererOrg;
  if ([o.name, o.mspId, o.domain].some((n) => n.toLowerCase() === options.org.toLowerCase())) {
    // The orderer org's one user is its Admin, who signs the orderer org's config changes (channel participation too).
    throw new ConfigError(options.user.toLowerCase() === 'admin' ? 'CANNOT_REVOKE_ADMIN' : 'UNKNOWN_USER', `--user ${options.user}: ${o.name}'s one user is its Admin, which cannot be revoked (it signs ${o.mspId}'s config changes)`, {
      field: '--user',
      value: options.user,
      suggestions: [`revoke an orderer's earlier certificates with --node <orderer>; renew the Admin with weft network renew ${shellWord(dir)} --org ${o.name} --user Admin --revoke-old`],
    });
  }
  const org = resolveOrg(network, options.org);
  const { user, certPem } = revocable(network, org, options.user);
  const tlsPath = network.user(org, user).tlsCertPath;
  const tlsCertificates = options.noTls === true || !fs.existsSync(tlsPath) ? [] : [{ label: `${user}'s`, pem: fs.readFileSync(tlsPath) }];
  assertCaKeysHere(network, org, tlsCertificates.length === 0 ? ['ca'] : ['ca', 'tlsca'], `revoking ${user} of ${org.name}`);
  const admin = network.user(org, 'Admin');
  if (!signingKeyHere(admin)) throw keyNotHere(admin, admin.keyPath);
  const target = mspOrgOf(network, org);
  const listed = org.users.includes(user);
  const done = await revokeCertificates(network, target, [{ label: `${user}'s`, pem: certPem }], progress, {
    // A user no longer listed whom every CRL here revokes: a second revoke that would change nothing.
    alreadyDone: (channels) => {
      if (listed) return;
      throw new ConfigError('USER_ALREADY_REVOKED', `--user ${user}: ${user}@${org.domain} is already revoked: ${org.mspId}'s CRL lists it in every channel (${channels.join(', ')}) and in ${network.orgMspDir(org)}/crls; nothing was changed`, {
        field: '--user',
        value: user,
        suggestions: [`see the users of ${org.name} in ${NETWORK_FILE}`],
      });
    },
    rerun: `run the same weft network revoke again once the peers answer: channels that have the CRL are skipped, and the local MSP folders and ${NETWORK_FILE} are updated then`,
    tlsCertificates,
  });
  if (listed) {
    const next = renderNetworkFile({ ...network.spec, orgs: network.spec.orgs.map((o) => (o === org ? { ...o, users: o.users.filter((u) => u !== user) } : o)) });
    replaceNetworkFile(network.dir, next.text);
    progress(`${NETWORK_FILE}: ${user} taken out of ${org.name}'s users`);
  }
  const { reloaded, signalled, restartNeeded } = done;
  const tls = done.tls === undefined ? {} : { tls: { serialNumber: done.tls.serialNumbers[0]!, crlNumber: done.tls.crlNumber } };
  return { org: org.name, mspId: org.mspId, user, serialNumber: done.serialNumbers[0]!, crlNumber: done.crlNumber, revokedSerials: done.revokedSerials, ...tls, channels: done.channels, crlFiles: done.crlFiles, reloaded, signalled, restartNeeded };
}

/** What {@link revokeCertificates} did. */
export interface CertificatesRevoked extends LocalMspReloads {
  /** The revoked certificates' serials (hex, no leading zeros), in the order given. */
  readonly serialNumbers: string[];
  readonly crlNumber: number;
  readonly revokedSerials: string[];
  /** The revoked TLS certificates' serials and the TLS CA's CRL number, when any were given. */
  readonly tls?: { readonly serialNumbers: string[]; readonly crlNumber: number };
  readonly channels: ChannelUpdated[];
  readonly crlFiles: string[];
}

/** The file `weft network revoke` writes the org TLS CA's CRL to in an MSP folder's `crls/`, next to {@link CRL_FILE}. */
export const TLS_CRL_FILE = 'tls-crl.pem';

/**
 * Puts `certificates` (PEM, issued by the org's CA) on the org CA's next CRL, sets that CRL as the
 * org's MSP `revocation_list` in every channel the org is a member of where it is not there yet
 * (the org's Admin signs; a peer org's `/Channel/Application/<org>/MSP`, the orderer org's
 * `/Channel/Orderer/<org>/MSP`), then writes it into the org's MSP folders (the org's and its
 * nodes'). `alreadyDone` gets the channels when every one of them and the org's folder revoke
 * them all already; it may throw to refuse. `rerun` says how to finish when a channel's peers did
 * not confirm.
 */
export async function revokeCertificates(
  network: NetworkLayout,
  org: MspOrg,
  certificates: readonly { label: string; pem: Uint8Array }[],
  progress: Progress,
  options: {
    alreadyDone: (channels: string[]) => void;
    rerun: string;
    /**
     * TLS certificates (issued by the org's TLS CA) to put on that CA's CRL, which goes into the
     * same `revocation_list` and `crls/` (as {@link TLS_CRL_FILE}): Weft nodes then refuse
     * connections presenting them; MSPs match a CRL to its issuer, so it revokes no identity.
     */
    tlsCertificates?: readonly { label: string; pem: Uint8Array }[];
  },
): Promise<CertificatesRevoked> {
  const authority = orgAuthority();
  const orgRef = { orgDir: org.orgDir, domain: org.domain };
  const orgMspDir = path.join(org.orgDir, 'msp');
  const tlsCertificates = options.tlsCertificates ?? [];
  const revokesAll = (crls: readonly Uint8Array[]): boolean =>
    certificates.every((c) => authority.orgCrlRevokes(orgRef, c.pem, crls)) && tlsCertificates.every((c) => authority.orgCrlRevokes(orgRef, c.pem, crls, 'tlsca'));
  const localCrls = mspFolderCrls(orgMspDir);
  const states = await orgMspStates(network, org);
  const pending = states.filter((s) => !revokesAll(s.msp.getRevocationListList_asU8()));
  if (pending.length === 0 && revokesAll(localCrls)) options.alreadyDone(states.map((st) => st.layout.spec.channel.name));

  const earlier = [...localCrls, ...states.flatMap((s) => s.msp.getRevocationListList_asU8())];
  const crl = await authority.nextOrgCrl(orgRef, certificates.map((c) => c.pem), earlier);
  const serialNumbers = certificates.map((c) => serialOf(c.pem));
  progress(`${org.mspId} CRL number ${crl.crlNumber} lists ${crl.serials.length} serial(s), ${certificates.map((c, i) => `${c.label} ${serialNumbers[i]}`).join(', ')} among them`);
  const tlsCrl = tlsCertificates.length === 0 ? undefined : await authority.nextOrgCrl(orgRef, tlsCertificates.map((c) => c.pem), earlier, 'tlsca');
  const tlsSerialNumbers = tlsCertificates.map((c) => serialOf(c.pem));
  if (tlsCrl !== undefined) progress(`${org.mspId} TLS CA CRL number ${tlsCrl.crlNumber} lists ${tlsCrl.serials.length} serial(s), ${tlsCertificates.map((c, i) => `${c.label} TLS certificate ${tlsSerialNumbers[i]}`).join(', ')} among them`);

  const channels: ChannelUpdated[] = [];
  for (const state of pending) {
    const msp = state.msp.cloneMessage();
    // One CRL per org CA: the new one lists every serial its old ones did; CRLs of other CAs of the MSP stay (the TLS CA's too, unless replaced here).
    const replaced = (c: Uint8Array): boolean => authority.orgCrlIssued(orgRef, c) || (tlsCrl !== undefined && authority.orgCrlIssued(orgRef, c, 'tlsca'));
    const others = state.msp.getRevocationListList_asU8().filter((c) => !replaced(c));
    msp.setRevocationListList([...others, Buffer.from(crl.pem), ...(tlsCrl === undefined ? [] : [Buffer.from(tlsCrl.pem)])]);
    channels.push(await setOrgMsp(network, org, state, msp, 'new revocation list', progress, { code: 'REVOKE_UNCONFIRMED', rerun: options.rerun }));
  }

  const nodes = org.peerOrg === undefined ? network.orderers() : network.peersOf(org.peerOrg);
  const crlFiles = [orgMspDir, ...nodes.map((n) => n.mspDir)].map((mspDir) => {
    if (tlsCrl !== undefined) writeCrl(mspDir, tlsCrl.pem, TLS_CRL_FILE);
    return writeCrl(mspDir, crl.pem);
  });
  progress(`CRL written to ${crlFiles.length} MSP folder(s) of ${org.name}`);
  // The channels refuse the certificates already; the nodes' local checks (chaincode install, JoinChain, …) once they reload.
  const reloads = await reloadLocalMsps(network, nodes, progress);
  return {
    serialNumbers,
    crlNumber: crl.crlNumber,
    revokedSerials: crl.serials,
    ...(tlsCrl === undefined ? {} : { tls: { serialNumbers: tlsSerialNumbers, crlNumber: tlsCrl.crlNumber } }),
    channels,
    crlFiles,
    ...reloads,
  };
}

function serialOf(pem: Uint8Array): string {
  return new X509Certificate(pem).serialNumber.replace(/^0+(?=.)/, '');
}

/** The user to revoke: a client user of the org whose certificate is here (a revoked one's stays). */
function revocable(network: NetworkLayout, org: PeerOrgSpec, ref: string): { user: string; certPem: Uint8Array } {
  const users = fs.existsSync(path.join(network.peerOrgDir(org), 'users')) ? fs.readdirSync(path.join(network.peerOrgDir(org), 'users')) : [];
  const folder = users.find((f) => f.toLowerCase() === `${ref.toLowerCase()}@${org.domain}`);
  const user = org.users.find((u) => u.toLowerCase() === ref.toLowerCase()) ?? folder?.slice(0, -`@${org.domain}`.length);
  if (user === 'Admin') {
    throw new ConfigError('CANNOT_REVOKE_ADMIN', `--user Admin: revoking ${org.name}'s Admin would lock ${org.mspId} out of its own channel config (its Admins policy signs every change of the org, this one included)`, {
      field: '--user',
      value: ref,
      suggestions: ['revoke client users only; to replace a leaked Admin key, a new admin certificate must enter the channel config first (not done by weft yet)'],
    });
  }
  const certPath = user === undefined ? undefined : network.user(org, user).certPath;
  if (user === undefined || certPath === undefined || !fs.existsSync(certPath)) {
    throw new ConfigError('UNKNOWN_USER', `--user ${ref}: ${org.name} has no user of that name with a certificate in ${network.peerOrgDir(org)}/users (users: ${org.users.join(', ')})`, {
      field: '--user',
      value: ref,
      suggestions: [`one of: ${org.users.filter((u) => u !== 'Admin').join(', ') || '(no client users)'}`],
    });
  }
  return { user, certPem: fs.readFileSync(certPath) };
}

/** Replaces the MSP folder's CRL `name` of this command (other CRLs there are left alone). */
function writeCrl(mspDir: string, pem: string, name = CRL_FILE): string {
  const file = path.join(mspDir, 'crls', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  replaceFile(file, pem, { mode: 0o644 });
  return mspDir;
}
