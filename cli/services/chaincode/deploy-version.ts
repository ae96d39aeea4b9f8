import { ChaincodeError } from '../../../core/errors';

/** The version of a chaincode's first definition when `--version` is not given. */
export const FIRST_VERSION = '1.0';

/** What `deploy` knows of a committed definition when it decides the version of a new one. */
export interface CommittedVersion {
  readonly version: string;
  readonly sequence: number;
  /**
   * By MSP ID, each org deploying here: the package ID it approved at the committed sequence ('' for
   * an approval without a package), or undefined when it approved nothing there (an org that joined
   * the channel after the commit).
   */
  readonly approvedPackageIds: Readonly<Record<string, string | undefined>>;
}

/**
 * The version a deploy's package is labelled with (`<name>_<version>`) and, unless
 * {@link deployVersion} refuses it, defined as: `--version`, else the committed version, else
 * {@link FIRST_VERSION}. The package's ID depends on its label, so this comes before packaging.
 */
export function packageVersion(given: string | undefined, committed: CommittedVersion | undefined): string {
  return given ?? committed?.version ?? FIRST_VERSION;
}

/**
 * The version `weft chaincode deploy` defines, decided once the package's ID is known. `--version`
 * counts as given; without it a new chaincode gets {@link FIRST_VERSION}. With a definition
 * committed, the committed version is kept only for the package an org here approved for it (a
 * re-deploy that changes the policy or collections), or when no org here approved that sequence
 * (an org that joined later approving the committed definition for itself, as Fabric's new org
 * does). Any other package is different code under the committed version, so the label
 * `<name>_<version>` and the definition would both claim a version they are not: refused with
 * `VERSION_REQUIRED` (field `--version`), suggesting {@link nextVersion}, before anything is installed.
 * `reuseCommittedVersion` (`--watch`, a development loop whose every round is new code under one
 * version) keeps the committed version for any package.
 */
export function deployVersion(
  o: { readonly name: string; readonly version?: string; readonly sequence?: number; readonly reuseCommittedVersion?: boolean },
  committed: CommittedVersion | undefined,
  packageId: string,
): string {
  const version = packageVersion(o.version, committed);
  if (o.version !== undefined || committed === undefined || o.reuseCommittedVersion === true) return version;
  const approvals = Object.entries(committed.approvedPackageIds).filter((e): e is [string, string] => e[1] !== undefined);
  if (approvals.some(([, id]) => id === packageId)) return version;
  const joining = approvals.length === 0 && (o.sequence === undefined || o.sequence === committed.sequence);
  if (joining) return version;
  const next = nextVersion(committed.version);
  const approvedText =
    approvals.length === 0
      ? `no org here (${Object.keys(committed.approvedPackageIds).join(', ')}) approved sequence ${committed.sequence}, so this package cannot be told to be its package`
      : `approved with package ${approvals.map(([msp, id]) => `${id === '' ? '(none)' : id} by ${msp}`).join(', ')}`;
  throw new ChaincodeError(
    'VERSION_REQUIRED',
    `no --version given, and ${o.name}'s committed definition (version ${committed.version}, sequence ${committed.sequence}) was ${approvedText}; ` +
      `this deploy's package is ${packageId}: different code under version ${committed.version} again would make a second package and definition of that version`,
    {
      field: '--version',
      chaincode: o.name,
      committedVersion: committed.version,
      committedSequence: committed.sequence,
      packageId,
      approvedPackageIds: Object.fromEntries(approvals),
      suggestedVersion: next,
      suggestions: [`give the new code a version: --version ${next}`],
    },
  );
}

/**
 * A version after `version`, to suggest: the last number of a dotted numeric version goes up
 * (`1.0` → `1.1`, `2` → `3`, `1.2.9` → `1.2.10`), as does a `-<n>` suffix (`1.0-beta-2` →
 * `1.0-beta-3`); anything else gets `-2` (`v1` → `v1-2`).
 */
export function nextVersion(version: string): string {
  const numeric = /^(\d+(?:\.\d+)*\.)?(\d+)$/.exec(version) ?? /^(.*-)(\d+)$/.exec(version);
  if (numeric === null) return `${version}-2`;
  return `${numeric[1] ?? ''}${(BigInt(numeric[2]!) + 1n).toString()}`;
}
