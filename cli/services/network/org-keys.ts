import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { keystoreHasKey, nodeSignsInToken, userTokenOptions } from '../client/cli-token';
import type { NetworkLayout, NodeLayout, UserLayout } from './network-layout';
import type { PeerOrgSpec } from './network-spec';

/**
 * Which private keys a network directory holds. `weft network init` writes every org's; a directory
 * from `weft network export` holds only its orgs' keys, so commands act as the orgs whose keys are
 * here and say so when asked to act as another.
 */

/** Whether the file at `keyPath` is here; a missing key is how an exported directory looks. */
export function keyHere(keyPath: string): boolean {
  return fs.existsSync(keyPath);
}

/** Whether this directory can sign as `user`: its key file is here, or its key is in the CLI's token ({@link userTokenOptions}). */
export function signingKeyHere(user: Pick<UserLayout, 'keyPath' | 'mspDir'>): boolean {
  return keyHere(user.keyPath) || userTokenOptions(user.mspDir) !== undefined;
}

/**
 * Whether this directory holds the keys `node` runs with: its signing key (a keystore file, or its
 * YAML, here, says it signs in a PKCS#11 token), and its TLS key when TLS is on.
 */
export function nodeKeysHere(layout: NetworkLayout, node: NodeLayout): boolean {
  return (keystoreHasKey(node.mspDir) || nodeSignsInToken(node.configFile)) && (!layout.spec.tls || keyHere(path.join(node.tlsDir, 'server.key')));
}

/** The peer orgs whose Admin can sign from this directory, in network order. */
export function orgsWithKeysHere(layout: NetworkLayout): PeerOrgSpec[] {
  return layout.spec.orgs.filter((org) => signingKeyHere(layout.user(org, 'Admin')));
}

/** Whether the orderer org's Admin (channel participation API, over mutual TLS) can act from here. */
export function ordererAdminHere(layout: NetworkLayout): boolean {
  const admin = layout.ordererAdmin();
  return signingKeyHere(admin) && keyHere(admin.tlsKeyPath);
}

/**
 * The TLS client certificate this directory can present to `node`'s operations endpoint, which
 * takes those of the node's org's TLS CA: the orderer org's Admin for an orderer, a user of the
 * peer's org (its Admin first) for a peer. Undefined where the endpoint is plain HTTP or no such
 * key is here (another org's node, seen from an exported directory).
 */
export function operationsClientOf(layout: NetworkLayout, node: NodeLayout): { cert: Buffer; key: Buffer } | undefined {
  if (!node.operationsTls) return undefined;
  const org = layout.networkSpec.orgs.find((o) => o.mspId === node.mspId);
  const users = node.kind === 'orderer' ? [layout.ordererAdmin()] : org === undefined ? [] : ['Admin', ...org.users.filter((u) => u !== 'Admin')].map((u) => layout.user(org, u));
  const user = users.find((u) => keyHere(u.tlsKeyPath));
  return user === undefined ? undefined : { cert: fs.readFileSync(user.tlsCertPath), key: fs.readFileSync(user.tlsKeyPath) };
}

/** The typed error for acting as a user whose key this directory does not hold. */
export function keyNotHere(user: Pick<UserLayout, 'id' | 'mspId'>, keyPath: string): ConfigError {
  return new ConfigError('KEY_NOT_HERE', `this network directory holds no private key for ${user.id} (${user.mspId}): ${keyPath} is absent`, {
    user: user.id,
    mspId: user.mspId,
    file: keyPath,
    suggestions: [`run this where ${user.mspId}'s keys are: the directory weft network init made, or one weft network export made with --org ${user.mspId}`],
  });
}

/** A private key by cryptogen's names: an MSP keystore entry, a CA's `priv_sk`, a TLS `*.key`. */
export function isPrivateKey(file: string): boolean {
  return path.basename(path.dirname(file)) === 'keystore' || path.basename(file) === 'priv_sk' || file.endsWith('.key');
}
