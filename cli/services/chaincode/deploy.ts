import type { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { ChaincodeError } from '../../../core/errors';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import type { PeerOrgSpec } from '../network/network-spec';
import { orgsWithKeysHere } from '../network/org-keys';
import { installedPackageSource, namesInstalledPackage } from './installed-source';
import { approvedPackageId } from './approved-definition';
import { deployVersion, packageVersion, type CommittedVersion } from './deploy-version';
import { approve, checkCommitReadiness, commit, hasApproved, install, queryCommitted, validationParameter, type ChaincodeDefinition, type CommittedDefinition } from './lifecycle';
import { loadOrBuildPackage } from './package-project';
import { policyOutsideChannelWarnings } from './policy-outside-channel';
import { checkAgainstCommitted } from './upgrade-checks';

export interface DeployOptions {
  readonly name: string;
  /**
   * undefined: 1.0 for a new chaincode; with a definition committed, its version for the package an
   * org here approved for it, else `VERSION_REQUIRED` before anything is installed (see `deployVersion`).
   */
  readonly version?: string;
  /** Without `version`, keep the committed version whatever the package (`--watch`, where each round is new code under one version). */
  readonly reuseCommittedVersion?: boolean;
  /** undefined = auto: one more than the committed sequence (1 for a new chaincode). */
  readonly sequence?: number;
  readonly policy?: string;
  readonly initRequired: boolean;
  /** Private data collections (`--collections-config`); undefined: none. */
  readonly collections?: CollectionConfigPackage;
  readonly label?: string;
  /** Check a TypeScript project's types before packaging (default true; --no-type-check turns it off). */
  readonly typeCheck?: boolean;
}

export interface DeployResult {
  readonly name: string;
  readonly version: string;
  readonly sequence: number;
  readonly packageId: string;
  readonly installedOn: string[];
  /** The orgs this run approved for: those whose keys this directory holds. */
  readonly approvedBy: string[];
  /**
   * Those of {@link approvedBy} that had already approved this definition with this package (an
   * earlier run): no approval was submitted for them, as re-approving unchanged content is refused.
   */
  readonly alreadyApproved: string[];
  /** Whether the definition is committed; false while orgs whose keys are elsewhere have yet to approve. */
  readonly committed: boolean;
  /** The orgs whose approval is missing, when not committed: each runs the same deploy on its own host. */
  readonly waitingFor: string[];
  readonly commitTransactionId?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `weft chaincode deploy`: package (unless given a package file) → install on the peers → approve
 * for the orgs → check commit readiness → commit → wait until every peer sees the definition. What
 * Fabric's `network.sh deployCC` does in a dozen peer commands. It acts as the orgs whose keys this
 * directory holds: all of them in the directory init made; in an org's export (`weft network
 * export`) only that org, which installs and approves, and the last org to approve commits.
 */
export async function deployChaincode(layout: NetworkLayout, source: string, o: DeployOptions, progress: (m: string) => void): Promise<DeployResult> {
  const orgs = orgsWithKeysHere(layout);
  if (orgs.length === 0) {
    throw new ChaincodeError('NO_ORG_KEYS_HERE', `this network directory holds no Admin key of channel ${layout.spec.channel.name}'s orgs (${layout.spec.orgs.map((x) => x.mspId).join(', ')})`, {
      suggestions: ['deploy from a directory that holds a member org\'s keys'],
    });
  }
  // A --policy that does not parse is refused before packaging and installing on every peer, not after.
  validationParameter(o.policy);
  // Fabric commits a policy naming an MSP outside the channel; every invoke then fails, so it is said up front.
  for (const w of policyOutsideChannelWarnings(layout, o)) progress(`warning: ${w}`);
  const peers = orgs.flatMap((org) => layout.peersOf(org));
  // Without --version the version, and so the default label and the package ID, follow the
  // committed definition: it is asked before packaging (with --version, after, as always).
  const asked = o.version === undefined ? await committedNow(layout, orgs, o.name) : undefined;
  // An installed package's ID (query-installed) deploys that package again: a rollback needs no old project.
  if (namesInstalledPackage(source)) {
    const installed = await installedPackageSource(layout, peers, source);
    const version = deployVersion(o, asked?.version, installed.packageId);
    progress(`package ${installed.packageId} (label ${installed.label}), as installed on ${installed.from}`);
    return deployPackage(layout, orgs, peers, installed, { ...o, version }, asked, progress);
  }
  // Packaged in memory: a package refused here (VERSION_REQUIRED) has been written and installed nowhere.
  const pkg = await loadOrBuildPackage(source, o.label ?? `${o.name}_${packageVersion(o.version, asked?.version)}`, { typeCheck: o.typeCheck });
  const version = deployVersion(o, asked?.version, pkg.packageId);
  progress(`packaged ${pkg.packageId}`);
  for (const w of pkg.warnings) progress(`warning: ${w}`);
  return deployPackage(layout, orgs, peers, pkg, { ...o, version }, asked, progress);
}

/** The committed definition of a chaincode, and what {@link deployVersion} needs of it (undefined: nothing committed). */
interface CommittedNow {
  readonly definition: CommittedDefinition | undefined;
  readonly version: CommittedVersion | undefined;
}

/** The committed definition, and the package each org here approved at its sequence. */
async function committedNow(layout: NetworkLayout, orgs: readonly PeerOrgSpec[], name: string): Promise<CommittedNow> {
  const definition = (await queryCommitted(layout, orgs[0]!, name))[0];
  if (definition === undefined) return { definition, version: undefined };
  const ids = await Promise.all(orgs.map(async (org) => [org.mspId, await approvedPackageId(layout, org, name, definition.sequence)] as const));
  return { definition, version: { version: definition.version, sequence: definition.sequence, approvedPackageIds: Object.fromEntries(ids) } };
}

/** Install on `peers`, approve for `orgs`, commit: deploy once the package is in hand. */
async function deployPackage(
  layout: NetworkLayout,
  orgs: readonly PeerOrgSpec[],
  peers: readonly NodeLayout[],
  pkg: { readonly bytes: Uint8Array; readonly packageId: string },
  o: DeployOptions & { readonly version: string },
  asked: CommittedNow | undefined,
  progress: (m: string) => void,
): Promise<DeployResult> {
  const firstOrg = orgs[0]!;
  const committed = asked === undefined ? (await queryCommitted(layout, firstOrg, o.name))[0] : asked.definition;
  // Before any peer is changed: an upgrade that drops a collection would be refused only at approval.
  for (const w of checkAgainstCommitted(committed, o, layout.dir)) progress(`warning: ${w}`);
  await Promise.all(peers.map((p) => install(layout, p, pkg.bytes, pkg.packageId)));
  progress(`installed on ${peers.map((p) => p.id).join(', ')}`);

  // An org that joined the channel after the commit (weft network add-org) approves the committed
  // sequence for itself, as Fabric's new org runs approveformyorg --sequence <current>; nothing is
  // committed again. The peer refuses the approval if it differs from the committed definition.
  const joining = o.sequence === undefined && committed !== undefined && committed.version === o.version && orgs.some((org) => committed.approvals?.[org.mspId] === false);
  const sequence = o.sequence ?? (committed === undefined ? 1 : joining ? committed.sequence : committed.sequence + 1);
  const def: ChaincodeDefinition = { name: o.name, version: o.version, sequence, policy: o.policy, initRequired: o.initRequired, collections: o.collections };

  // Each org's approval is its own transaction; submitted together they share one block. An org
  // that approved this very definition and package before (a re-run) is skipped: the peer refuses
  // to approve unchanged content again.
  const alreadyApproved: string[] = [];
  await Promise.all(
    orgs.map(async (org) => {
      if (await hasApproved(layout, org, def, pkg.packageId)) {
        alreadyApproved.push(org.mspId);
        progress(`already approved by ${org.mspId} (sequence ${sequence}, package ${pkg.packageId})`);
        return;
      }
      await approve(layout, org, def, pkg.packageId);
      progress(`approved by ${org.mspId} (sequence ${sequence})`);
    }),
  );
  alreadyApproved.sort();
  const result = {
    name: o.name,
    version: o.version,
    sequence,
    packageId: pkg.packageId,
    installedOn: peers.map((p) => p.id),
    approvedBy: orgs.map((x) => x.mspId),
    alreadyApproved,
  };
  if (sequence === committed?.sequence) {
    progress(`${o.name} sequence ${sequence} was committed before: ${orgs.map((x) => x.mspId).join(', ')} approved it for ${orgs.length === 1 ? 'itself' : 'themselves'}, nothing to commit`);
    return { ...result, committed: true, waitingFor: [] };
  }
  // Each approval returned once its own org's peer committed it; the committing peers (one per org
  // endorses the commit) may still be a block behind, so readiness is asked of each org here until all agree.
  const approvals = await readinessOn(layout, orgs, def);
  const missing = Object.entries(approvals).filter(([, ok]) => !ok).map(([msp]) => msp);
  const elsewhere = missing.filter((msp) => !orgs.some((x) => x.mspId === msp));
  if (missing.length > 0 && missing.length === elsewhere.length) {
    progress(
      `waiting for ${elsewhere.join(', ')} to approve this definition (an approval of another version, policy, collections config or sequence does not count): ` +
        `run the same deploy on ${elsewhere.length === 1 ? 'its host' : 'their hosts'}; the last org to approve commits`,
    );
    return { ...result, committed: false, waitingFor: elsewhere };
  }
  if (missing.length > 0) {
    throw new ChaincodeError('NOT_READY', `chaincode ${o.name} sequence ${sequence} is not approved by ${missing.join(', ')}`, {
      approvals,
      suggestions: [`approve it: weft chaincode approve <dir> --org <org> --name ${o.name} --package-id ${pkg.packageId} --sequence ${sequence}`],
    });
  }
  const { transactionId } = await commit(layout, firstOrg, def);
  progress(`committed in transaction ${transactionId}`);

  // The Gateway returned once its own peer committed; wait for the others (any member may ask: Readers).
  for (const peer of layout.peers()) {
    const deadline = Date.now() + 30_000;
    while ((await queryCommitted(layout, firstOrg, o.name, peer))[0]?.sequence !== sequence) {
      if (Date.now() > deadline) throw new ChaincodeError('COMMIT_NOT_SEEN', `${peer.id} has not seen ${o.name} sequence ${sequence} after 30 s`, { peer: peer.id });
      await sleep(100);
    }
  }
  return { ...result, committed: true, waitingFor: [], commitTransactionId: transactionId };
}

/**
 * Commit readiness as the peers of `orgs` see it, polled for up to 10 s until they report every
 * approval, or at least those of `orgs` (the others may come later, from their own hosts).
 */
async function readinessOn(layout: NetworkLayout, orgs: readonly PeerOrgSpec[], def: ChaincodeDefinition): Promise<Record<string, boolean>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const views = (await Promise.all(orgs.map((org) => checkCommitReadiness(layout, org, def)))).map((r) => r.approvals);
    const merged: Record<string, boolean> = {};
    for (const view of views) for (const [msp, ok] of Object.entries(view)) merged[msp] = (merged[msp] ?? true) && ok;
    if (Object.values(merged).every(Boolean) || Date.now() > deadline) return merged;
    // With orgs elsewhere, done once every org here sees each approval made here.
    if (orgs.length < layout.spec.orgs.length && orgs.every((org) => merged[org.mspId] === true)) return merged;
    await sleep(100);
  }
}
