import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ParticipationChannel } from '../client/orderer-admin';
import { listedChannels } from './consenter-channels';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { runningPid } from './node-processes';

/**
 * How renewing an orderer treats the consenter certificate its etcdraft channels name: `rotate`,
 * each channel it serves is told the new TLS certificate before the node switches to it; otherwise
 * its TLS certificate is re-issued for the key it has, by which its channels go on finding it, and
 * no channel is updated (`why` says what prevents the update).
 */
export type ConsenterRenewal = { readonly rotate: true } | { readonly rotate: false; readonly why: string };

/** Whether the certificate file exists and has ended by `now`. */
export function endedBy(file: string, now: Date): boolean {
  return fs.existsSync(file) && new Date(new X509Certificate(fs.readFileSync(file)).validTo).getTime() <= now.getTime();
}

/**
 * The one decision of how renewing `node` treats its channels' consenter certificate
 * ({@link ConsenterRenewal}); undefined for a peer.
 *
 * It does not depend on the network's consensus: Weft's orderer serves an etcdraft channel whatever
 * network.yaml says, so a `solo` network's orderer may be the consenter of one joined outside
 * network.yaml (`osnadmin channel join`), which names its TLS certificate as a channel of an
 * etcdraft network does. Running, each channel it serves is told first (one naming no consenter with
 * its key, as a solo channel, is left as it is); otherwise it keeps its key, by which a channel not
 * seen still finds it.
 *
 * A channel takes a new consenter certificate only by a config update the running orderer orders
 * and the orderer org's Admin signs: so an orderer that does not run here (its channels cannot be
 * listed or updated), or whose enrollment or TLS certificate has ended (what the expired-CA
 * recoveries renew: a client no longer reaches or trusts it), or whose org's Admin has an ended
 * certificate (the orderer refuses its signature and, under mutual TLS, its connection), keeps its
 * TLS key.
 */
export function consenterRenewal(network: NetworkLayout, node: NodeLayout | undefined, now: Date): ConsenterRenewal | undefined {
  if (node?.kind !== 'orderer') return undefined;
  if (runningPid(node) === undefined) return { rotate: false, why: `${node.id} does not run here, so the channels it serves can be neither listed nor told a new consenter certificate` };
  const signcerts = path.join(node.mspDir, 'signcerts');
  const enrollment = fs.existsSync(signcerts) ? fs.readdirSync(signcerts).find((f) => f.endsWith('.pem')) : undefined;
  const admin = network.ordererAdmin();
  const ended = [
    ...(enrollment !== undefined && endedBy(path.join(signcerts, enrollment), now) ? [`${node.id}'s enrollment certificate`] : []),
    ...(endedBy(path.join(node.tlsDir, 'server.crt'), now) ? [`${node.id}'s TLS certificate`] : []),
    ...(endedBy(admin.certPath, now) || endedBy(admin.tlsCertPath, now) ? [`${admin.id}'s certificate (it signs the channel update)`] : []),
  ];
  return ended.length === 0 ? { rotate: true } : { rotate: false, why: `${ended.join(' and ')} ended, so no channel can take a new consenter certificate now` };
}

/**
 * Given the channels a running orderer lists ({@link listedChannels}): whether it may take a new TLS
 * key. A channel it lists as `failed` orders no config update, so it cannot be told a new
 * consenter certificate, and it may name this orderer's TLS certificate (it may have failed for just
 * that: it names a key the orderer no longer has). Renewed with a new key, the orderer would never
 * find itself in it again, repaired or not; with its key kept, it does. The other channels are left
 * as they are then, finding it by that same key.
 */
export function keyChangeAfterFailedChannels(orderer: NodeLayout, listed: readonly ParticipationChannel[]): ConsenterRenewal {
  const failed = listed.filter((c) => c.status === 'failed').map((c) => c.name);
  if (failed.length === 0) return { rotate: true };
  const them = failed.length === 1 ? 'it' : 'them';
  return {
    rotate: false,
    why: `${orderer.id} lists channel ${failed.join(', ')} as failed, which orders no config update and may name its TLS key; remove ${them} with osnadmin channel remove, or rejoin ${them}, to have a new key`,
  };
}

/**
 * {@link consenterRenewal}, and for an orderer it would rotate, {@link keyChangeAfterFailedChannels}
 * on the channels the orderer lists now.
 */
export async function consenterRenewalOfServing(network: NetworkLayout, node: NodeLayout | undefined, now: Date): Promise<ConsenterRenewal | undefined> {
  const decided = consenterRenewal(network, node, now);
  return decided?.rotate === true ? keyChangeAfterFailedChannels(node!, await listedChannels(network, node!)) : decided;
}
