import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, WeftError } from '../../../core/errors';
import { editedGatewayPeerLists, replaceNodeConfig } from './gateway-peer-lists';
import { openNetwork, type Progress } from './network-access';
import { renderNetworkFile, replaceNetworkFile } from './network-channels';
import type { NodeLayout } from './network-layout';
import { NETWORK_FILE } from './network-spec';
import { assertCaKeysHere } from './network-users';
import { isThisMachine } from './node-hosts';
import { stopNode } from './node-processes';
import { BACKUPS_DIR, backedUpCertificates, backupRunDir, memberTlsCertificates } from './node-revocation';
import { anchorEdits, setAnchorPeers, type AnchorPeerReplaced } from './org-anchor-peers';
import { assertOrgAdminHere, type ChannelUpdated } from './org-msp-channels';
import { revokeCertificates } from './org-revocation';
import { assertOrderersRun, channelStates, removalRunsOf, removalTarget, type RemovalTarget } from './remove-peer-target';
import { shellWord } from '../../../core/node/shell-word';

/** What `weft network remove-peer` is asked for. */
export interface RemovePeerOptions {
  /** `--peer`: `peer0.org1.example.com`, or `peer0` (with `org` when several orgs have one). */
  readonly peer: string;
  /** `--org`: the peer's org, by name, MSP ID or domain. */
  readonly org?: string;
  /** Put its enrollment certificates on the org CA's CRL in every channel of the org (unless `--no-revoke`). */
  readonly revoke: boolean;
  /** How long it is given to stop before SIGKILL. */
  readonly graceMs?: number;
}

export interface RemovePeerResult {
  readonly org: string;
  readonly mspId: string;
  readonly peer: { id: string; name: string; address: string };
  /** The channels where it was an anchor peer of its org, and the anchor peers they name now. */
  readonly anchorPeers: AnchorPeerReplaced[];
  /** Absent with `--no-revoke`; `channels` empty when every channel had its certificates on the CRL already (a run repeated). */
  readonly revoked?: { serialNumbers: string[]; crlNumber?: number; channels: ChannelUpdated[]; tls?: { readonly serialNumbers: string[]; readonly crlNumber: number } };
  /** `elsewhere`: it runs on another host, where it is to be stopped. */
  readonly stopped: 'stopped' | 'killed' | 'not-running' | 'elsewhere';
  /** Where its folders are now (`backups/remove-<time>`, 0700). */
  readonly backupDir: string | undefined;
  /** What this run moved there, relative to the network directory. */
  readonly moved: string[];
  /** The other peers whose `peer.gateway.peers` no longer list it. */
  readonly configsUpdated: string[];
}

/** Thrown by `alreadyDone` of {@link revokeCertificates}: every channel revokes the peer's certificates already. */
class AlreadyRevoked extends Error {}

/**
 * `weft network remove-peer`: retires a peer of an org, as a Fabric operator stops it, revokes its
 * certificate (`fabric-ca-client revoke` + `gencrl`, then a config update of the org's MSP
 * `revocation_list`), moves the org's anchor peer off it and drops it from the other peers'
 * bootstrap lists. Every check comes first and a refusal writes nothing. The steps then run in
 * this order, each one skipping what is done already, so that running the command again after a
 * crash or failure at any point finishes it:
 *
 * 1. anchor peers: each channel naming it among the org's anchor peers gets another peer of the
 *    org instead (the first one network.yaml lists, which is the anchor `weft network init` and
 *    `add-org` would give the org now), while it still runs, so other orgs never lose the org;
 * 2. revocation (unless `revoke` is false): its current enrollment certificate and those `renew`
 *    kept go on the org CA's CRL, in every channel of the org, then in the MSP folders of the
 *    org and its other peers; from then on its signatures are refused, so a leaked key is useless;
 * 3. it is stopped if it runs here;
 * 4. the other peers' configs no longer list it in `peer.gateway.peers`;
 * 5. its node folder (config, data), log and crypto folder move to `backups/remove-<time>/`
 *    (0700; keys are never deleted);
 * 6. network.yaml drops it: last, so that until everything else is done, a run repeated finds it.
 *
 * Every config update reads from, is signed for and waits on the network without the peer, so a
 * repeated run works with the peer stopped. A failure once the steps began is
 * `REMOVE_PEER_UNFINISHED`, naming the steps done and left. `readChannels` reads the org's
 * channel configs (from the network's peers; a test passes the configs it wants).
 *
 * Running Gateways need no restart: other orgs' find the org through its new anchor peer; one
 * whose config listed the peer keeps it in memory until restarted, but tries it last once
 * membership expires it (`membershipExpiryMs`, 25 s), and a stopped peer on a reachable host
 * refuses the connection at once.
 */
export async function removePeer(dir: string, options: RemovePeerOptions, progress: Progress, readChannels: typeof channelStates = channelStates): Promise<RemovePeerResult> {
  const network = openNetwork(dir);
  const target = removalTarget(network, options.peer, options.org);
  const { org, peer, after } = target;
  const certificates = options.revoke ? certificatesOf(network.dir, peer) : [];
  // Its TLS certificates too, so that its leaked TLS key cannot even connect to Weft nodes.
  const tlsCertificates = options.revoke ? memberTlsCertificates(network.dir, { id: peer.id, memberDir: peer.cryptoDir, org: target.mspOrg }, true, progress) : [];
  if (options.revoke) {
    assertCaKeysHere(network, org, tlsCertificates.length === 0 ? ['ca'] : ['ca', 'tlsca'], `revoking ${peer.id}'s certificate`);
    assertOrgAdminHere(after, target.mspOrg);
    await assertOrderersRun(after, `revoking ${peer.id}'s certificate in the channels`);
  }
  const states = await readChannels(target, options.revoke ? 'revoking its certificate' : 'finding the channels where it is an anchor peer');
  const replacement = after.peersOf(after.spec.orgs.find((o) => o.name === org.name)!)[0]!;
  const anchors = anchorEdits(states, org.mspId, peer, replacement);
  if (anchors.length > 0) {
    assertOrgAdminHere(after, target.mspOrg);
    await assertOrderersRun(after, `moving ${org.mspId}'s anchor peer off ${peer.id}`);
  }
  // Computed before anything is written: a config that cannot be read back is refused here.
  const others = editedGatewayPeerLists(after, peer.id, (_node, list) => (list.some((p) => p.address === peer.address) ? list.filter((p) => p.address !== peer.address) : undefined), {
    change: `${peer.id} cannot be taken out of its peer.gateway.peers`,
    rerun: 'run weft network remove-peer again; nothing was changed',
  });

  const rerun = `run the same command again: weft network remove-peer ${shellWord(network.dir)} --peer ${peer.id}${options.revoke ? '' : ' --no-revoke'} (each step skips what is done)`;
  const steps = [
    ...(anchors.length > 0 ? ['anchor peers'] : []),
    ...(options.revoke ? ['revocation'] : []),
    'stop',
    'other peers\' configs',
    `move to ${BACKUPS_DIR}/`,
    NETWORK_FILE,
  ];
  let done = 0;
  const step = async <T>(run: () => Promise<T> | T): Promise<T> => {
    const out = await run();
    done++;
    return out;
  };
  try {
    const anchorPeers: AnchorPeerReplaced[] = [];
    if (anchors.length > 0) {
      await step(async () => {
        for (const edit of anchors) anchorPeers.push(await setAnchorPeers(after, target.mspOrg, edit, peer, progress, rerun));
      });
    }
    const revoked = options.revoke ? await step(() => revoke(target, certificates, tlsCertificates, progress, rerun)) : undefined;
    const stopped = await step(() => stop(peer, options.graceMs ?? 10_000, progress));
    await step(() => {
      for (const [node, text] of others) replaceNodeConfig(node.configFile, text);
      if (others.size > 0) progress(`${[...others.keys()].map((n) => n.id).join(', ')}: config no longer lists ${peer.id}`);
    });
    const { backupDir, moved } = await step(() => moveToBackups(network.dir, peer, progress));
    await step(() => {
      replaceNetworkFile(network.dir, renderNetworkFile(after.spec).text);
      progress(`${NETWORK_FILE}: ${org.name} peers ${after.spec.orgs.find((o) => o.name === org.name)!.peers.map((p) => p.name).join(', ')}`);
    });
    return {
      org: org.name,
      mspId: org.mspId,
      peer: { id: peer.id, name: target.name, address: peer.address },
      anchorPeers,
      ...(revoked !== undefined && { revoked }),
      stopped,
      backupDir,
      moved,
      configsUpdated: [...others.keys()].map((n) => n.id),
    };
  } catch (err) {
    throw new WeftError('REMOVE_PEER_UNFINISHED', `${peer.id} is not fully removed: ${(err as Error).message}. Done: ${steps.slice(0, done).join(', ') || 'nothing'}; left: ${steps.slice(done).join(', ')}`, {
      peer: peer.id,
      done: steps.slice(0, done),
      left: steps.slice(done),
      cause: err instanceof WeftError ? err.code : undefined,
      suggestions: [rerun, `${NETWORK_FILE} lists ${peer.id} until the last step`],
    }, { cause: err });
  }
}

/** Its current enrollment certificate (from its crypto folder, or the backup a run repeated moved it to) and those `renew` kept. */
function certificatesOf(networkDir: string, peer: NodeLayout): Buffer[] {
  const signcerts = path.join(peer.mspDir, 'signcerts');
  const current = fs.existsSync(signcerts) ? fs.readdirSync(signcerts).filter((f) => f.endsWith('.pem')).map((f) => fs.readFileSync(path.join(signcerts, f))) : [];
  const all = [...current, ...backedUpCertificates(networkDir, peer.cryptoDir)].filter((pem, i, list) => list.findIndex((p) => p.equals(pem)) === i);
  if (all.length === 0) {
    throw new ConfigError('MEMBER_CERT_MISSING', `--peer ${peer.id}: no enrollment certificate of it in ${signcerts} or ${path.join(networkDir, BACKUPS_DIR)}, so none to revoke`, {
      field: '--peer',
      value: peer.id,
      suggestions: [`remove it without revoking: --no-revoke`],
    });
  }
  return all;
}

async function revoke(target: RemovalTarget, certificates: readonly Buffer[], tlsCertificates: readonly Buffer[], progress: Progress, rerun: string): Promise<NonNullable<RemovePeerResult['revoked']>> {
  const label = `${target.peer.id}'s`;
  try {
    const done = await revokeCertificates(target.after, target.mspOrg, certificates.map((pem) => ({ label, pem })), progress, {
      alreadyDone: () => {
        throw new AlreadyRevoked();
      },
      rerun,
      tlsCertificates: tlsCertificates.map((pem) => ({ label: `${label} TLS`, pem })),
    });
    return { serialNumbers: done.serialNumbers, crlNumber: done.crlNumber, channels: done.channels, ...(done.tls !== undefined && { tls: done.tls }) };
  } catch (err) {
    if (!(err instanceof AlreadyRevoked)) throw err;
    progress(`${target.peer.id}'s certificates are on ${target.mspOrg.mspId}'s CRL in every channel and its MSP folder already`);
    return { serialNumbers: certificates.map(serialOf), channels: [] };
  }
}

function serialOf(pem: Buffer): string {
  return new X509Certificate(pem).serialNumber.replace(/^0+(?=.)/, '');
}

async function stop(peer: NodeLayout, graceMs: number, progress: Progress): Promise<RemovePeerResult['stopped']> {
  if (!(await isThisMachine(peer.host))) {
    progress(`${peer.id} runs on ${peer.host}, not here: stop it there (weft network down <its dir> --node ${peer.id})`);
    return 'elsewhere';
  }
  const result = await stopNode(peer, graceMs);
  if (result !== 'not-running') progress(`${peer.id} ${result}`);
  return result;
}

/**
 * Moves what is left of its folders (crypto, node, log) into `backups/remove-<time>/`, each under
 * its path relative to the network directory, by one rename each: into the run folder of an
 * earlier run interrupted part-way, so that one folder holds all of it, else into a new one.
 */
function moveToBackups(networkDir: string, peer: NodeLayout, progress: Progress): { backupDir: string | undefined; moved: string[] } {
  const all = [peer.cryptoDir, peer.nodeDir, peer.logFile].map((p) => path.relative(networkDir, p));
  const entries = all.filter((e) => fs.existsSync(path.join(networkDir, e)));
  const earlier = removalRunsOf(networkDir, all)[0];
  if (entries.length === 0) return { backupDir: earlier, moved: [] };
  const run = earlier ?? backupRunDir(networkDir, 'remove', new Date());
  for (const entry of entries) {
    fs.mkdirSync(path.dirname(path.join(run, entry)), { recursive: true, mode: 0o700 });
    fs.renameSync(path.join(networkDir, entry), path.join(run, entry));
  }
  fs.chmodSync(run, 0o700);
  progress(`${peer.id}: ${entries.join(', ')} moved to ${run}`);
  return { backupDir: run, moved: entries };
}
