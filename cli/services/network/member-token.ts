import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import type { SigningKeyToken } from '../../../core/msp/crypto-material';
import { CLI_PKCS11_LABEL_ENV, CLI_PKCS11_LIBRARY_ENV, cliTokenMspOptions, nodeTokenOf, tokenPinFromEnv, type TokenName } from '../client/cli-token';
import { DEFAULT_PIN_ENV } from '../hsm-key-import';
import type { Progress } from './network-access';
import type { NetworkLayout } from './network-layout';
import type { PeerOrgSpec } from './network-spec';

/** `--hsm-library`/`--hsm-label` (init, new-org, add-org, add-peer, add-user): a PKCS#11 token to generate signing keys in. */
export interface HsmKeyFlags {
  readonly hsmLibrary?: string;
  readonly hsmLabel?: string;
}

/**
 * The token `--hsm-library` and `--hsm-label` name (both or neither: `INIT_OPTIONS_INVALID`
 * naming the missing one), its PIN from WEFT_PKCS11_PIN (`HSM_PIN_MISSING`); undefined for keys
 * in files. The library path is made absolute: the node configs name it wherever a node starts.
 */
export function signingKeyTokenOf(keys: HsmKeyFlags, env: NodeJS.ProcessEnv = process.env): SigningKeyToken | undefined {
  const token = tokenNamedBy(keys);
  return token === undefined ? undefined : withPin(token, env);
}

/** The token `--hsm-library` and `--hsm-label` name, as {@link signingKeyTokenOf} checks them, without its PIN: for configs that name it. */
export function tokenNamedBy(keys: HsmKeyFlags): TokenName | undefined {
  const library = keys.hsmLibrary === '' ? undefined : keys.hsmLibrary;
  const label = keys.hsmLabel === '' ? undefined : keys.hsmLabel;
  if (library === undefined && label === undefined) return undefined;
  if (library === undefined || label === undefined) {
    const [given, missing, what] = library === undefined ? ['--hsm-label', '--hsm-library', 'the PKCS#11 module (.so)'] : ['--hsm-library', '--hsm-label', "the token's label"];
    throw new ConfigError('INIT_OPTIONS_INVALID', `${given} was given without ${missing} (${what}): the signing keys' token needs both`, {
      field: missing,
      suggestions: ['--hsm-library <module .so> --hsm-label <token> together, with WEFT_PKCS11_PIN set', 'or neither, for keys in files'],
    });
  }
  return { library: path.resolve(library), label };
}

/** A result's `signingKeyToken`: the token's name, never its PIN (results are printed as JSON). */
export function signingKeyTokenEntry(token: SigningKeyToken | undefined): { signingKeyToken?: TokenName } {
  return token === undefined ? {} : { signingKeyToken: { library: token.library, label: token.label } };
}

/** The token the org's first peer here whose YAML says PKCS11 signs in: where the org's node keys are. */
export function orgNodeToken(network: NetworkLayout, org: PeerOrgSpec): TokenName | undefined {
  for (const peer of network.peersOf(org)) {
    const token = nodeTokenOf(peer.configFile);
    if (token !== undefined) return token;
  }
  return undefined;
}

/**
 * Where `weft network add-peer` generates the new peer's signing key: in the token
 * `--hsm-library`/`--hsm-label` name (both or neither, as `network init`), else in the token the
 * org's peers here sign in (a network init made with `--hsm-library` stays in its token), else in
 * a keystore file. The PIN always from WEFT_PKCS11_PIN (`HSM_PIN_MISSING`).
 */
export function addedPeerToken(network: NetworkLayout, org: PeerOrgSpec, keys: HsmKeyFlags, env: NodeJS.ProcessEnv = process.env): SigningKeyToken | undefined {
  const flagged = signingKeyTokenOf(keys, env);
  if (flagged !== undefined) return flagged;
  const sibling = orgNodeToken(network, org);
  return sibling === undefined ? undefined : withPin(sibling, env);
}

/**
 * Where `weft network add-user` generates the new users' signing keys: as {@link addedPeerToken}
 * decides, except that an org whose nodes sign in a token puts its users in the CLI's token
 * (WEFT_PKCS11_LIBRARY/WEFT_PKCS11_LABEL) when those are set, since that is the only token the CLI
 * signs as a user in; unset, the nodes' token, which the variables must then name.
 */
export function addedUserToken(network: NetworkLayout, org: PeerOrgSpec, keys: HsmKeyFlags, env: NodeJS.ProcessEnv = process.env): SigningKeyToken | undefined {
  const flagged = signingKeyTokenOf(keys, env);
  if (flagged !== undefined) return flagged;
  const sibling = orgNodeToken(network, org);
  if (sibling === undefined) return undefined;
  // Checked for both-or-neither (CLI_PKCS11_INCOMPLETE) here, before anything is written.
  const cli = cliTokenMspOptions(env) === undefined ? undefined : { library: path.resolve(env[CLI_PKCS11_LIBRARY_ENV]!), label: env[CLI_PKCS11_LABEL_ENV]! };
  return withPin(cli ?? sibling, env);
}

function withPin(token: TokenName, env: NodeJS.ProcessEnv): SigningKeyToken {
  return { library: token.library, label: token.label, pin: tokenPinFromEnv(DEFAULT_PIN_ENV, DEFAULT_PIN_ENV, env) };
}

/**
 * Destroys the token keys of members a command made and then threw away (a later step failed).
 * Quiet: the failure being reported is the first one; a key left behind is only told.
 */
export function discardNewSigningKeys(discards: readonly ((() => void) | undefined)[], progress: Progress): void {
  for (const discard of discards) {
    try {
      discard?.();
    } catch (err) {
      progress(`could not remove a signing key made for this command from its token: ${(err as Error).message}`);
    }
  }
}
