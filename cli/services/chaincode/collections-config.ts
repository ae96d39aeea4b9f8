import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { CollectionConfig, CollectionConfigPackage, CollectionPolicyConfig, StaticCollectionConfig } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import { ConfigError, WeftError } from '../../../core/errors';
import { parseCollections } from '../../../core/peer/lifecycle/collections';
import { parsePolicyExpression } from '../../../core/policy/policy-expression';

/**
 * The collections file of `--collections-config`: Fabric's format, a JSON array of the objects
 * `peer lifecycle chaincode approveformyorg --collections-config` reads (`collectionConfigJson` in
 * Fabric's internal/peer/chaincode/common.go), turned into the same `CollectionConfigPackage`.
 *
 * As Go's encoding/json reads it: keys match case-insensitively, a `null` value counts as absent,
 * and an absent requiredPeerCount/maxPeerCount is 0/1. Unlike it, an unknown key is refused rather
 * than ignored (a misspelt `maxPeerCounts` would otherwise silently become the default 1), and
 * what the peer would refuse (a bad collection name, maxPeerCount below requiredPeerCount, a member
 * policy that is not an OR of orgs, a name given twice) is refused here, naming the file and field.
 */

const INT32_MAX = 2_147_483_647;
const FIELDS = ['name', 'policy', 'requiredPeerCount', 'maxPeerCount', 'blockToLive', 'memberOnlyRead', 'memberOnlyWrite', 'endorsementPolicy'] as const;
const ENDORSEMENT_FIELDS = ['signaturePolicy', 'channelConfigPolicy'] as const;
/** Fabric's collection name pattern (`^[A-Za-z0-9-]+([A-Za-z0-9_-]+)*$`), without its nested quantifier. */
const COLLECTION_NAME = /^[A-Za-z0-9-][A-Za-z0-9_-]*$/;
const EXAMPLE_POLICY = `"OR('Org1MSP.member','Org2MSP.member')"`;

/** A value as the message quotes it, cut short. */
function shown(input: unknown): string {
  const text = JSON.stringify(input) ?? String(input);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** A zod error message: "is required: <what>" or "must be <what>, got <value>". */
function must(what: string): { error: (issue: { input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? `is required: ${what}` : `must be ${what}, got ${shown(issue.input)}`) };
}

/** The keys of an object as Go's encoding/json matches them to `fields`, `null` values dropped. */
function asGoReads(fields: readonly string[]): (value: unknown) => unknown {
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === null) continue;
      out[fields.includes(key) ? key : (fields.find((f) => f.toLowerCase() === key.toLowerCase()) ?? key)] = v;
    }
    return out;
  };
}

function compiledPolicy(expression: string, ctx: z.RefinementCtx): ReturnType<typeof parsePolicyExpression> {
  try {
    return parsePolicyExpression(expression);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `is not a valid signature policy expression: ${(err as Error).message}` });
    return z.NEVER;
  }
}

const int32 = (what: string) => z.number(must(what)).int(must(what)).min(0, must(what)).max(INT32_MAX, must(what));
const NON_NEGATIVE_INT32 = `a non-negative integer (at most ${INT32_MAX})`;
const POLICY = `a signature policy expression such as ${EXAMPLE_POLICY}`;

/** `endorsementPolicy`: the collection's own endorsement policy, at most one of the two (both empty: none, as in Fabric). */
const EndorsementPolicyJson = z.preprocess(
  asGoReads(ENDORSEMENT_FIELDS),
  z
    .strictObject(
      {
        signaturePolicy: z
          .string(must(POLICY))
          .transform((p, ctx) => (p === '' ? undefined : compiledPolicy(p, ctx)))
          .optional(),
        channelConfigPolicy: z.string(must('a channel policy path such as "/Channel/Application/Endorsement"')).optional(),
      },
      must('an object with signaturePolicy or channelConfigPolicy'),
    )
    .transform((e, ctx): ApplicationPolicy | undefined => {
      if (e.signaturePolicy !== undefined && e.channelConfigPolicy) {
        ctx.addIssue({ code: 'custom', message: 'must give signaturePolicy or channelConfigPolicy, not both' });
        return z.NEVER;
      }
      if (e.signaturePolicy === undefined && !e.channelConfigPolicy) return undefined;
      const policy = new ApplicationPolicy();
      if (e.signaturePolicy !== undefined) policy.setSignaturePolicy(e.signaturePolicy);
      else policy.setChannelConfigPolicyReference(e.channelConfigPolicy!);
      return policy;
    }),
);

/** One collection of the file (Fabric's `collectionConfigJson`), policies compiled. */
export const CollectionConfigJson = z.preprocess(
  asGoReads(FIELDS),
  z.strictObject(
    {
      name: z
        .string(must('a collection name'))
        .regex(COLLECTION_NAME, must("a collection name of letters, digits, '-' and '_', not starting with '_'")),
      policy: z
        .string(must(POLICY))
        .min(1, must(POLICY))
        .transform((p, ctx) => compiledPolicy(p, ctx)),
      requiredPeerCount: int32(NON_NEGATIVE_INT32).default(0),
      maxPeerCount: int32(NON_NEGATIVE_INT32).default(1),
      blockToLive: z
        .number(must('a non-negative integer (0: keep forever)'))
        .int(must('a non-negative integer (0: keep forever)'))
        .min(0, must('a non-negative integer (0: keep forever)'))
        .max(Number.MAX_SAFE_INTEGER, must(`a non-negative integer no larger than ${Number.MAX_SAFE_INTEGER}`))
        .default(0),
      memberOnlyRead: z.boolean(must('true or false')).default(false),
      memberOnlyWrite: z.boolean(must('true or false')).default(false),
      endorsementPolicy: EndorsementPolicyJson.optional(),
    },
    must('an object with name, policy and optionally requiredPeerCount, maxPeerCount, blockToLive, memberOnlyRead, memberOnlyWrite, endorsementPolicy'),
  ),
);
export type CollectionConfigJson = z.output<typeof CollectionConfigJson>;

/** The whole file: a JSON array of collections. */
export const CollectionsConfigJson = z.array(CollectionConfigJson, must('a JSON array of collections'));
export type CollectionsConfigJson = z.output<typeof CollectionsConfigJson>;

/** One problem of the file: where (`collections[1].maxPeerCount`) and what. */
export interface CollectionsConfigProblem {
  readonly field: string;
  readonly message: string;
}

const SUGGESTIONS = [
  "the file is Fabric's `peer lifecycle chaincode approveformyorg --collections-config` JSON: an array of " +
    `{"name": "...", "policy": ${EXAMPLE_POLICY}, "requiredPeerCount": 0, "maxPeerCount": 1, "blockToLive": 0, "memberOnlyRead": true, "memberOnlyWrite": false}`,
];

/** `collections[1].endorsementPolicy.signaturePolicy` for the path `[1, 'endorsementPolicy', 'signaturePolicy']`. */
function fieldOf(at: readonly PropertyKey[]): string {
  return `collections${at.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`;
}

function issueProblems(issue: z.core.$ZodIssue): CollectionsConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const known = issue.path.length > 1 ? ENDORSEMENT_FIELDS : FIELDS;
      return { field: fieldOf([...issue.path, key]), message: `is not a field Fabric reads (the fields: ${known.join(', ')})` };
    });
  }
  return [{ field: fieldOf(issue.path), message: issue.message }];
}

/** The checks the peer makes of each collection (besides channel membership), as problems of the file. */
function peerProblems(collections: CollectionsConfigJson, pkg: CollectionConfigPackage): CollectionsConfigProblem[] {
  const problems: CollectionsConfigProblem[] = [];
  const first = new Map<string, number>();
  collections.forEach((c, i) => {
    const earlier = first.get(c.name);
    if (earlier !== undefined) problems.push({ field: fieldOf([i, 'name']), message: `is ${shown(c.name)}, already the name of ${fieldOf([earlier])}` });
    else first.set(c.name, i);
    if (c.maxPeerCount < c.requiredPeerCount) {
      problems.push({ field: fieldOf([i, 'maxPeerCount']), message: `must be at least requiredPeerCount (${c.requiredPeerCount}), got ${c.maxPeerCount}` });
      return;
    }
    // What is left for the peer's own check is the member policy's shape (only ORs of org principals).
    const one = new CollectionConfigPackage();
    one.setConfigList([pkg.getConfigList()[i]!]);
    try {
      parseCollections(one);
    } catch (err) {
      if (!(err instanceof WeftError)) throw err;
      problems.push({ field: fieldOf([i, 'policy']), message: `is refused by the peer: ${err.message}` });
    }
  });
  return problems;
}

function toPackage(collections: CollectionsConfigJson): CollectionConfigPackage {
  const pkg = new CollectionConfigPackage();
  pkg.setConfigList(
    collections.map((c) => {
      const s = new StaticCollectionConfig();
      s.setName(c.name);
      const member = new CollectionPolicyConfig();
      member.setSignaturePolicy(c.policy);
      s.setMemberOrgsPolicy(member);
      s.setRequiredPeerCount(c.requiredPeerCount);
      s.setMaximumPeerCount(c.maxPeerCount);
      s.setBlockToLive(c.blockToLive);
      s.setMemberOnlyRead(c.memberOnlyRead);
      s.setMemberOnlyWrite(c.memberOnlyWrite);
      if (c.endorsementPolicy !== undefined) s.setEndorsementPolicy(c.endorsementPolicy);
      const config = new CollectionConfig();
      config.setStaticCollectionConfig(s);
      return config;
    }),
  );
  return pkg;
}

function invalid(file: string, problems: readonly CollectionsConfigProblem[]): ConfigError {
  return new ConfigError('COLLECTIONS_CONFIG_INVALID', `${file} is not a valid collections config:\n${problems.map((p) => `  ${p.field} ${p.message}`).join('\n')}`, {
    file,
    field: problems[0]?.field,
    problems,
    suggestions: SUGGESTIONS,
  });
}

/**
 * The `CollectionConfigPackage` of a parsed collections file (`file` names it in errors). Throws
 * ConfigError `COLLECTIONS_CONFIG_INVALID` listing every bad field.
 */
export function parseCollectionsConfig(json: unknown, file: string): CollectionConfigPackage {
  const parsed = CollectionsConfigJson.safeParse(json);
  if (!parsed.success) throw invalid(file, parsed.error.issues.flatMap(issueProblems));
  const pkg = toPackage(parsed.data);
  const problems = peerProblems(parsed.data, pkg);
  if (problems.length > 0) throw invalid(file, problems);
  return pkg;
}

/**
 * Reads `--collections-config <file>`: undefined when no file is given. Throws ConfigError
 * `COLLECTIONS_CONFIG_NOT_FOUND` when the file cannot be read, `COLLECTIONS_CONFIG_INVALID` when
 * it is not JSON or not a valid collections config.
 */
export function loadCollectionsConfig(file: string | undefined): CollectionConfigPackage | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError('COLLECTIONS_CONFIG_NOT_FOUND', `cannot read the collections config ${path.resolve(file)}: ${why}`, {
      file,
      suggestions: ['pass the path of a JSON collections file, as for `peer lifecycle chaincode approveformyorg --collections-config`'],
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('COLLECTIONS_CONFIG_INVALID', `${file} is not JSON: ${(err as Error).message}`, { file, suggestions: SUGGESTIONS });
  }
  return parseCollectionsConfig(json, file);
}
