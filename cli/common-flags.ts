import { Args, Flags, type Interfaces } from '@oclif/core';
import { ConfigError } from '../core/errors';
import { FIRST_VERSION } from './services/chaincode/deploy-version';

/** Flags and args several commands share. */
export const networkDirArg = Args.string({ description: 'network directory (made by weft network init)', required: true });

export const orgFlag = Flags.string({ description: 'org acting (name, MSP ID or domain, e.g. Org1); default the first org' });
export const userFlag = Flags.string({ description: 'user of the org (default User1; Admin for lifecycle commands)' });
export const nameFlag = Flags.string({ char: 'n', description: 'chaincode name', required: true });
export const peerConfigFlag = Flags.string({ char: 'c', description: 'peer config file', required: true });
export const channelFlag = Flags.string({ description: 'channel to act on (default: the network\'s default channel, `channel` in network.yaml)' });

/**
 * `--hsm-library`/`--hsm-label` (both or neither; the PIN from WEFT_PKCS11_PIN): the PKCS#11 token
 * `whose` signing keys are generated in, no keystore file written; `otherwise` says what happens without them.
 */
export function hsmKeyFlags(whose: string, otherwise = 'keys in files') {
  return {
    'hsm-library': Flags.string({
      description: `PKCS#11 module (.so) of the token ${whose} signing keys are generated in (with --hsm-label; the PIN from WEFT_PKCS11_PIN): no keystore file is written. Without: ${otherwise}`,
    }),
    'hsm-label': Flags.string({ description: 'label of that token (with --hsm-library)' }),
  };
}

/**
 * `--key-algorithm` (cryptogen's `PublicKeyAlgorithm` names): the key of an org's CA, TLS CA and
 * every member's signing and TLS key. Checked by the service (`parseKeyAlgorithm`), whose typed
 * error names the flag and the accepted values.
 */
export function keyAlgorithmFlag(whose: string) {
  return Flags.string({
    helpValue: '<ecdsa|ed25519>',
    description: `key algorithm of ${whose} keys, as Fabric 3's cryptogen PublicKeyAlgorithm: ecdsa (P-256, the default) or ed25519 (CA, TLS CA, nodes' and users' signing and TLS keys; Ed25519 identities need channel capability V3_0; not with --hsm-library). Later commands (add-peer, add-user, renew) follow the org's CA key`,
  });
}

/**
 * `--intermediate-ca`: an org's members issued by an intermediate CA its root signs (and likewise
 * for TLS), the layout a production Fabric CA deployment has, its root key kept apart in `rootca/`.
 */
export function intermediateCaFlag(whose: string) {
  return Flags.boolean({
    description: `${whose} CA and TLS CA are intermediates signed by the org's roots, as a Fabric CA deployment keeps its root offline: ca/ and tlsca/ hold the issuing intermediates (cert and key), rootca/ and tlsrootca/ the roots (move their priv_sk offline; weft network renew --org <org> --ca, --tls-ca, --root-ca and --tls-root-ca need it back); MSP folders get cacerts/ and intermediatecerts/ (tlscacerts/, tlsintermediatecerts/). Later commands (add-peer, add-user, renew, revoke) follow the org's files`,
    default: false,
  });
}

/** {@link hsmKeyFlags}' values as the network services take them. */
export function hsmKeyOptions(flags: { readonly 'hsm-library'?: string; readonly 'hsm-label'?: string }): { hsmLibrary?: string; hsmLabel?: string } {
  return { hsmLibrary: flags['hsm-library'], hsmLabel: flags['hsm-label'] };
}

/**
 * `--version` of approve, commit and check-commit-readiness: they state a definition whole, as
 * Fabric's `approveformyorg` does, so without the flag it is 1.0 as it always was. `deploy` has
 * {@link deployVersionFlag}, without a default, to tell an upgrade left unversioned.
 */
const definitionVersionFlag = Flags.string({ char: 'v', description: 'chaincode version', default: FIRST_VERSION });

/** `deploy`'s `--version`: no oclif default, so that `deployVersion` can tell whether it was given. */
export const deployVersionFlag = Flags.string({
  char: 'v',
  description:
    'chaincode version, also in the default package label <name>_<version>. Without it: 1.0 for a new chaincode; with a definition committed, its version when the package is the one an org here approved for it (a deploy changing only --policy or --collections-config) or no org here approved it (an org that joined later), else the deploy is refused (VERSION_REQUIRED) before anything is installed, suggesting a next version',
});

export const definitionFlags = {
  name: nameFlag,
  channel: channelFlag,
  version: definitionVersionFlag,
  sequence: Flags.integer({ description: 'definition sequence (default: one more than the committed one)', min: 1 }),
  policy: Flags.string({
    description: `endorsement policy, a Fabric expression such as "OR('Org1MSP.peer','Org2MSP.peer')" (Fabric's --signature-policy), or a channel policy path such as /Channel/Application/Org1Only (its --channel-config-policy) (default: the channel's Endorsement policy, a majority of orgs)`,
  }),
  'init-required': Flags.boolean({ description: 'the chaincode must be initialized (weft chaincode invoke --is-init) before other calls', default: false }),
  'collections-config': Flags.file({
    helpValue: '<file>',
    description:
      "private data collections: a JSON file in the format of Fabric's `peer lifecycle chaincode approveformyorg --collections-config` " +
      '(an array of {name, policy, requiredPeerCount, maxPeerCount, blockToLive, memberOnlyRead, memberOnlyWrite, endorsementPolicy}); ' +
      'every org must approve the same collections',
  }),
};

/** `--transient key=value` pairs, repeatable. */
// One entry per flag: a greedy flag would take the function name and its arguments after it as entries.
/** The peer whose Gateway serves a query or an invoke. */
/** A TypeScript project's type check before packaging (package, deploy and install of a project folder). */
export const typeCheckFlag = Flags.boolean({
  description: "check a TypeScript project's types before packaging, as tsc with its tsconfig.json does (--no-type-check: skip it, for a project whose build is not tsc)",
  default: true,
  allowNo: true,
});

export const gatewayPeerFlag = Flags.string({ description: "peer whose Gateway to use (its id; default the first peer of the user's org)" });
export const transientFlag = Flags.string({ description: 'transient data entry key=value (repeat the flag for more); never written to the ledger', multiple: true, multipleNonGreedy: true });

export function parseTransient(entries: readonly string[] | undefined): Record<string, string> | undefined {
  if (entries === undefined || entries.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i <= 0) throw new ConfigError('BAD_TRANSIENT', `--transient ${e}: expected key=value`, { field: '--transient', value: e });
    out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/**
 * The positional arguments after the first `skip`, in the order given. oclif's `argv` for a
 * non-strict command reorders repeated values (`a 1 b 1` comes back as `a 1 1 b`), so chaincode
 * arguments are read from its `raw` tokens, which keep the command line's order.
 */
export function positionalsAfter(raw: Interfaces.ParserOutput['raw'], skip: number): string[] {
  return raw
    .filter((t) => t.type === 'arg')
    .map((t) => t.input)
    .slice(skip);
}

/** What `weft chaincode events` and `weft block events` share: where to keep the position, when to stop. */
export const eventWatchFlags = {
  checkpoint: Flags.string({
    helpValue: '<file>',
    description:
      'keep the position in this file (fabric-gateway\'s file checkpointer format, replaced whole at each event, with a header beside it naming the stream): a second run resumes after the last event the first printed, none lost',
  }),
  count: Flags.integer({ description: 'stop after this many events (blocks, for block events)', min: 1 }),
  timeout: Flags.string({ helpValue: '<duration>', description: 'stop after this long (30s, 1m30s, or whole seconds), exit 0 saying how many were seen' }),
};
