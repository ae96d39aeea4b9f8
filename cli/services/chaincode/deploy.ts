import { ChaincodeError } from '../../../core/errors';
import type { NetworkLayout } from '../network/network-layout';
import { approve, checkCommitReadiness, commit, install, queryCommitted, type ChaincodeDefinition } from './lifecycle';
import { loadOrBuildPackage } from './package-project';

export interface DeployOptions {
  readonly name: string;
  readonly version: string;
  /** undefined = auto: one more than the committed sequence (1 for a new chaincode). */
  readonly sequence?: number;
  readonly policy?: string;
  readonly initRequired: boolean;
  readonly label?: string;
}

export interface DeployResult {
  readonly name: string;
  readonly version: string;
  readonly sequence: number;
  readonly packageId: string;
  readonly installedOn: string[];
  readonly approvedBy: string[];
  readonly commitTransactionId: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `weft chaincode deploy`: package (unless given a package file) → install on every peer →
 * approve for every org → check commit readiness → commit → wait until every peer sees the
 * definition. What Fabric's `network.sh deployCC` does in a dozen peer commands.
 */
export async function deployChaincode(layout: NetworkLayout, source: string, o: DeployOptions, progress: (m: string) => void): Promise<DeployResult> {
  const pkg = await loadOrBuildPackage(source, o.label ?? `${o.name}_${o.version}`);
  progress(`packaged ${pkg.packageId}`);
  const peers = layout.peers();
  await Promise.all(peers.map((p) => install(layout, p, pkg.bytes, pkg.packageId)));
  progress(`installed on ${peers.map((p) => p.id).join(', ')}`);

  const firstOrg = layout.spec.orgs[0]!;
  const committed = (await queryCommitted(layout, firstOrg, o.name))[0];
  const sequence = o.sequence ?? (committed === undefined ? 1 : committed.sequence + 1);
  const def: ChaincodeDefinition = { name: o.name, version: o.version, sequence, policy: o.policy, initRequired: o.initRequired };

  // Each org's approval is its own transaction; submitted together they share one block.
  await Promise.all(
    layout.spec.orgs.map(async (org) => {
      await approve(layout, org, def, pkg.packageId);
      progress(`approved by ${org.mspId} (sequence ${sequence})`);
    }),
  );
  // Each approval returned once its own org's peer committed it; the committing peers (one per org
  // endorses the commit) may still be a block behind, so readiness is asked of every org until all agree.
  const approvals = await readinessOnEveryOrg(layout, def);
  const missing = Object.entries(approvals).filter(([, ok]) => !ok).map(([msp]) => msp);
  if (missing.length > 0) {
    throw new ChaincodeError('NOT_READY', `chaincode ${o.name} sequence ${sequence} is not approved by ${missing.join(', ')}`, {
      approvals,
      suggestions: [`approve it: weft chaincode approve <dir> --org <org> --name ${o.name} --package-id ${pkg.packageId} --sequence ${sequence}`],
    });
  }
  const { transactionId } = await commit(layout, firstOrg, def);
  progress(`committed in transaction ${transactionId}`);

  // The Gateway returned once its own peer committed; wait for the others before reporting success.
  for (const peer of peers) {
    const org = layout.spec.orgs.find((x) => x.mspId === peer.mspId)!;
    const deadline = Date.now() + 30_000;
    while ((await queryCommitted(layout, org, o.name, peer))[0]?.sequence !== sequence) {
      if (Date.now() > deadline) throw new ChaincodeError('COMMIT_NOT_SEEN', `${peer.id} has not seen ${o.name} sequence ${sequence} after 30 s`, { peer: peer.id });
      await sleep(100);
    }
  }
  return {
    name: o.name,
    version: o.version,
    sequence,
    packageId: pkg.packageId,
    installedOn: peers.map((p) => p.id),
    approvedBy: layout.spec.orgs.map((x) => x.mspId),
    commitTransactionId: transactionId,
  };
}

/** Commit readiness as every org's peer sees it, polled for up to 10 s until all of them report every approval. */
async function readinessOnEveryOrg(layout: NetworkLayout, def: ChaincodeDefinition): Promise<Record<string, boolean>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const views = await Promise.all(layout.spec.orgs.map((org) => checkCommitReadiness(layout, org, def)));
    const merged: Record<string, boolean> = {};
    for (const view of views) for (const [msp, ok] of Object.entries(view)) merged[msp] = (merged[msp] ?? true) && ok;
    if (Object.values(merged).every(Boolean) || Date.now() > deadline) return merged;
    await sleep(100);
  }
}
