import { z } from 'zod';
import { ConfigError } from '../../../core/errors';
import { ORG_KEY_ALGORITHMS } from '../../../core/msp/crypto-material';
import type { HsmKeyFlags } from './member-token';

/**
 * The key algorithm of an org's keys by Fabric 3 cryptogen's names (`ecdsa`, P-256, the default;
 * or `ed25519`), for the CA, the TLS CA and every node's and user's signing and TLS key. Only the
 * org's files record it (its CA certificate's key): later commands follow that.
 */
export const OrgKeyAlgorithm = z.enum(ORG_KEY_ALGORITHMS);
export type OrgKeyAlgorithm = z.infer<typeof OrgKeyAlgorithm>;

/** cryptogen's default `PublicKeyAlgorithm`. */
export const DEFAULT_ORG_KEY_ALGORITHM: OrgKeyAlgorithm = 'ecdsa';

/**
 * `--key-algorithm`'s value checked: undefined when not given, else one of {@link ORG_KEY_ALGORITHMS};
 * anything else is `code` naming the flag and the accepted values.
 */
export function parseKeyAlgorithm(value: string | undefined, code = 'INIT_OPTIONS_INVALID'): OrgKeyAlgorithm | undefined {
  if (value === undefined) return undefined;
  const parsed = OrgKeyAlgorithm.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new ConfigError(code, `--key-algorithm ${value}: expected one of ${ORG_KEY_ALGORITHMS.join(', ')} (cryptogen's PublicKeyAlgorithm names)`, {
    field: '--key-algorithm',
    value,
    suggestions: [`--key-algorithm ${ORG_KEY_ALGORITHMS.join(' or --key-algorithm ')}`],
  });
}

/**
 * Refuses Ed25519 keys with `--hsm-library`/`--hsm-label`: the PKCS#11 token path generates P-256
 * keys only, so an Ed25519 org's signing keys are files. `where` names what asked for Ed25519
 * (`--key-algorithm ed25519`, or an org's `keyAlgorithm` in a network file).
 */
export function assertKeyAlgorithmFitsToken(algorithm: OrgKeyAlgorithm | undefined, keys: HsmKeyFlags, where = '--key-algorithm ed25519'): void {
  const tokenGiven = (keys.hsmLibrary ?? '') !== '' || (keys.hsmLabel ?? '') !== '';
  if (algorithm !== 'ed25519' || !tokenGiven) return;
  throw new ConfigError('INIT_OPTIONS_INVALID', `${where} and --hsm-library/--hsm-label cannot go together: the PKCS#11 token generates P-256 (ecdsa) signing keys only`, {
    field: '--key-algorithm',
    conflictsWith: '--hsm-library',
    suggestions: ['leave out --hsm-library/--hsm-label for Ed25519 keys in files', 'or keep the token with --key-algorithm ecdsa (the default)'],
  });
}

/** How an org's CAs and keys are made: `--key-algorithm` and `--intermediate-ca`, or the org's own fields in a network file. */
export interface OrgMaking {
  readonly keyAlgorithm?: OrgKeyAlgorithm;
  readonly intermediateCa?: boolean;
}

/**
 * `--key-algorithm` and `--intermediate-ca` as a command that makes an org takes them (add-org,
 * new-org): the algorithm checked by {@link parseKeyAlgorithm} (`code` for a bad value) and
 * {@link assertKeyAlgorithmFitsToken}; either refused with `madeElsewhereBy`, the flag that brings
 * an org whose keys and CAs were made already (`CONFLICTING_FLAGS`). Fields not given stay undefined.
 */
export function newOrgMaking(flags: { readonly keyAlgorithm?: string; readonly intermediateCa: boolean }, keys: HsmKeyFlags, code: string, madeElsewhereBy?: string): OrgMaking {
  const keyAlgorithm = parseKeyAlgorithm(flags.keyAlgorithm, code);
  const given = [...(keyAlgorithm !== undefined ? ['--key-algorithm'] : []), ...(flags.intermediateCa ? ['--intermediate-ca'] : [])];
  if (given.length > 0 && madeElsewhereBy !== undefined) {
    throw new ConfigError('CONFLICTING_FLAGS', `${given.join(' and ')} ${given.length === 1 ? 'chooses' : 'choose'} how an org made here is made; with ${madeElsewhereBy} the org's keys and CAs were made already`, {
      field: given[0],
      suggestions: [`leave out ${given.join(' and ')} with ${madeElsewhereBy}: the org's files say its key algorithm (its CA certificate) and whether it issues from an intermediate (intermediatecerts/)`],
    });
  }
  assertKeyAlgorithmFitsToken(keyAlgorithm, keys);
  return { ...(keyAlgorithm !== undefined && { keyAlgorithm }), ...(flags.intermediateCa && { intermediateCa: true }) };
}
