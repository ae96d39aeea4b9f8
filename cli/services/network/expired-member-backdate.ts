import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExpiredMember } from './expired-ca-recovery';
import type { Progress } from './network-access';
import type { NetworkLayout } from './network-layout';
import { memberKeyInToken } from '../client/cli-token';
import { renewInPlace } from './network-renew';
import { consenterRenewal } from './consenter-renewal';
import { orgAuthority } from './org-authority';
import type { MspOrg } from './org-msp-channels';

/** A re-issued member's validity from now by default: init's ten years (capped at the renewed CA's end). */
const DEFAULT_VALIDITY_MS = 3650 * 86_400_000;

/** A member re-issued with its old start date. */
export interface BackdatedMember {
  readonly id: string;
  readonly mspId: string;
  readonly enrollment: { readonly serialNumber: string; readonly notBefore: string; readonly notAfter: string };
  /** Where its replaced folder, old keys included, went. */
  readonly backupDir: string;
}

/** The member's folder: a node's crypto folder, a user's (the parent of its msp/). */
function memberDirOf(network: NetworkLayout, org: MspOrg, member: ExpiredMember): string {
  if (member.renew.node !== undefined) return network.nodes().find((n) => n.id === member.renew.node)!.cryptoDir;
  const user = org.peerOrg === undefined ? network.ordererAdmin() : network.user(org.peerOrg, member.renew.user!);
  return path.dirname(user.mspDir);
}

/**
 * The start a re-issued certificate gets: the old enrollment certificate's. The channels still
 * hold the expired root, and the MSP checks a chain at the certificate's start + 1 s (Fabric's
 * getValidityOptsForCert, msp-x509's go-verify): a start inside the old root's life verifies
 * against it, and against the renewed root (same key and subject, same start) once the channels take it.
 */
export function backdatedStart(oldEnrollmentPem: Buffer | string): Date {
  return new Date(new X509Certificate(oldEnrollmentPem).validFrom);
}

/**
 * Re-issues an ended member of `org` from the org's (renewed) CAs on disk, new keys, starting at
 * {@link backdatedStart} and valid until `notAfter` (ten years from now by default, not from that
 * start, which may be years back; capped at the CA's end): the leaf's end is all the expiry checks
 * look at (orderer ingress, proposals, Deliver). Swapped in as `weft network renew --node/--user`
 * does ({@link renewInPlace}); the node must not run (the whole-network recovery stops every node
 * first), so nothing is reloaded. A key in a PKCS#11 token is kept.
 */
export async function reissueBackdated(network: NetworkLayout, org: MspOrg, member: ExpiredMember, notAfter: Date | undefined, progress: Progress): Promise<BackdatedMember> {
  const memberDir = memberDirOf(network, org, member);
  const signcerts = path.join(memberDir, 'msp', 'signcerts');
  const start = backdatedStart(fs.readFileSync(path.join(signcerts, fs.readdirSync(signcerts).find((f) => f.endsWith('.pem'))!)));
  const node = member.renew.node === undefined ? undefined : network.nodes().find((n) => n.id === member.renew.node);
  // A member whose key is in a PKCS#11 token keeps it (renewOrgMember); one whose key is nowhere is refused first.
  memberKeyInToken({ id: member.id, mspDir: path.join(memberDir, 'msp'), ...(node !== undefined && { configFile: node.configFile }) });
  const now = new Date();
  // The network is down, so this is consenterRenewal's "does not run here": an etcdraft channel finds its orderer by its TLS key (one
  // joined with osnadmin to a solo network's orderer too), and none can be told a new one.
  const keepTlsKey = consenterRenewal(network, node, now) !== undefined;
  const { issued, backupDir } = await renewInPlace(network.dir, memberDir, now, (outDir) =>
    orgAuthority().renewOrgMember({ orgDir: org.orgDir, domain: org.domain }, memberDir, outDir, {
      now,
      notBefore: start,
      notAfter: notAfter ?? new Date(now.getTime() + DEFAULT_VALIDITY_MS),
      keepTlsKey,
    }),
  );
  progress(`${member.id}: re-issued from ${start.toISOString()} (its old start, inside the expired root's life), valid until ${issued.enrollment.notAfter.toISOString()}; the old folder is in ${backupDir}`);
  return {
    id: member.id,
    mspId: org.mspId,
    enrollment: { serialNumber: issued.enrollment.serialNumber, notBefore: start.toISOString(), notAfter: issued.enrollment.notAfter.toISOString() },
    backupDir,
  };
}
