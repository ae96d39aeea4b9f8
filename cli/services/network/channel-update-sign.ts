import * as path from 'node:path';
import { resolveOrg } from '../chaincode/org-args';
import { adminOf, readUpdateFile, signAsAdminsHere, signerMspIds } from './config-update-signatures';
import { openNetwork } from './network-access';
import type { NetworkLayout } from './network-layout';
import { keyNotHere, signingKeyHere } from './org-keys';
import { replaceFile } from '../../../core/node/durable-files';

export interface SignUpdateResult {
  readonly file: string;
  readonly channel: string;
  /** The MSP ID whose Admin signed. */
  readonly org: string;
  /** False when that org's Admin had signed already (the file is left as it was). */
  readonly added: boolean;
  /** MSP IDs of every Admin whose signature the update now carries. */
  readonly signedBy: string[];
}

/**
 * `weft channel sign-update`: adds the signature of `org`'s Admin (a peer org, or the orderer org)
 * to a ConfigUpdateEnvelope file that `weft channel update --output` wrote (Fabric's `peer channel
 * signconfigtx`). Works offline: the directory needs only that Admin's key. The file is replaced
 * whole.
 */
export function signUpdateFile(dir: string, file: string, org: string): SignUpdateResult {
  const network = openNetwork(dir);
  const { envelope, update } = readUpdateFile(file);
  const mspId = orgMspId(network, org);
  const admin = adminOf(network, mspId)!;
  if (!signingKeyHere(admin)) throw keyNotHere(admin, admin.keyPath);
  const added = signAsAdminsHere(network, envelope, [mspId]).length > 0;
  if (added) replaceFile(file, envelope.serializeBinary());
  return { file: path.resolve(file), channel: update.getChannelId(), org: mspId, added, signedBy: signerMspIds(envelope) };
}

/** `--org` as an MSP ID: the orderer org by name, MSP ID or domain, else a peer org (UNKNOWN_ORG lists them). */
function orgMspId(network: NetworkLayout, ref: string): string {
  const o = network.spec.ordererOrg;
  if ([o.name.toLowerCase(), o.mspId.toLowerCase(), o.domain].includes(ref.toLowerCase())) return o.mspId;
  return resolveOrg(network, ref).mspId;
}
