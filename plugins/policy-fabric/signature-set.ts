import type { Identity, IdentityDeserializer } from '../../core/msp';
import type { SignedData } from '../../core/policy';

const UNKNOWN = 0;
const YES = 1;
const NO = 2;

/**
 * The signed data of one policy evaluation, shared by every sub-policy that evaluation touches
 * (an implicit meta policy over three orgs checks each signature once, not three times).
 *
 * Fabric (`policies.SignatureSetToValidIdentities`) deserializes every signer, drops an identity
 * already accepted, verifies every signature up front and keeps the identities whose signature
 * verified. It does not validate the identities: validity is part of `SatisfiesPrincipal`, which
 * skips it where Fabric's MSP does (an admin listed in the MSP's `admins`, an ANONYMITY NOMINAL
 * principal), so a listed admin whose certificate no longer validates still signs as admin.
 * This class gives the same answer lazily: entry `i` counts ("is effective") when its identity
 * deserializes, its signature verifies, and no earlier entry of the same identity (msp id + id)
 * counts. Signatures are verified only when a principal needs them, and at most once per
 * evaluation.
 */
export class SignatureSet {
  readonly size: number;
  private readonly identities: (Identity | undefined)[];
  private readonly problems: (string | undefined)[];
  /** Entries grouped by identity (msp id + id), in order; -1 for entries without an identity. */
  private readonly groupOf: Int32Array;
  private readonly groups: number[][] = [];
  /** Per group: the entry that counts (its first valid one), -1 while not known. */
  private readonly counting: number[] = [];
  /** Per group: how many of its entries have been checked for validity, in order. */
  private readonly scanned: number[] = [];
  private readonly valid: Uint8Array;

  constructor(
    readonly signedData: readonly SignedData[],
    readonly deserializer: IdentityDeserializer,
  ) {
    const size = Array.isArray(signedData) ? signedData.length : 0;
    this.size = size;
    this.identities = new Array<Identity | undefined>(size);
    this.problems = new Array<string | undefined>(size);
    this.groupOf = new Int32Array(size).fill(-1);
    this.valid = new Uint8Array(size);
    const groupByKey = new Map<string, number>();
    for (let i = 0; i < size; i++) {
      const sd = signedData[i];
      if (!sd || !(sd.identity instanceof Uint8Array) || !(sd.data instanceof Uint8Array) || !(sd.signature instanceof Uint8Array)) {
        this.problems[i] = 'malformed signed data (data, identity and signature must be bytes)';
        continue;
      }
      let identity: Identity;
      try {
        identity = deserializer.deserializeIdentity(sd.identity);
      } catch (err) {
        this.problems[i] = `identity does not deserialize (${describeError(err)})`;
        continue;
      }
      this.identities[i] = identity;
      const key = `${identity.mspId}\u0000${identity.id}`;
      let group = groupByKey.get(key);
      if (group === undefined) {
        group = this.groups.length;
        groupByKey.set(key, group);
        this.groups.push([]);
        this.counting.push(-1);
        this.scanned.push(0);
      }
      this.groupOf[i] = group;
      this.groups[group].push(i);
    }
  }

  /** The deserialized identity of entry `i`, or undefined when it did not deserialize. */
  identity(i: number): Identity | undefined {
    return this.identities[i];
  }

  /** Whether entry `i` counts towards principals (see the class comment). Verifies lazily, once. */
  isEffective(i: number): boolean {
    const group = this.groupOf[i];
    if (group < 0) return false;
    const members = this.groups[group];
    // Check the group's entries in order until the first whose signature verifies: it is the one that counts.
    while (this.counting[group] < 0 && this.scanned[group] < members.length && members[this.scanned[group]] <= i) {
      const j = members[this.scanned[group]++];
      if (this.signatureVerifies(j)) this.counting[group] = j;
    }
    return this.counting[group] === i;
  }

  /** Problems known so far, one line per skipped entry; never verifies anything new. */
  describeSkipped(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.size; i++) {
      const group = this.groupOf[i];
      const counting = group < 0 ? -1 : this.counting[group];
      const problem = counting >= 0 && i > counting ? `duplicate of signature #${counting} (same identity counts once)` : this.problems[i];
      if (problem !== undefined) out.push(`#${i} ${problem}`);
    }
    return out;
  }

  /**
   * Failure reasons only: why an effective signer satisfied nothing, when its MSP calls it
   * invalid. Never consulted for the verdict (validity belongs to `satisfiesPrincipal`).
   */
  validityProblem(i: number): string | undefined {
    const identity = this.identities[i];
    if (identity === undefined) return undefined;
    try {
      identity.validate();
      return undefined;
    } catch (err) {
      return `identity of ${identity.mspId} is not valid (${describeError(err)})`;
    }
  }

  private signatureVerifies(i: number): boolean {
    const cached = this.valid[i];
    if (cached !== UNKNOWN) return cached === YES;
    const identity = this.identities[i] as Identity;
    const sd = this.signedData[i];
    let ok = false;
    try {
      ok = identity.verify(sd.data, sd.signature) === true;
      if (!ok) this.problems[i] = `invalid signature by ${identity.mspId} identity`;
    } catch (err) {
      this.problems[i] = `signature check failed (${describeError(err)})`;
    }
    this.valid[i] = ok ? YES : NO;
    return ok;
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
