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

/**
 * `--key-algorithm` as a command that makes an org's keys takes it (add-org, new-org): checked by
 * {@link parseKeyAlgorithm} (`code` for a bad value), refused with `madeElsewhereBy` (the flag
 * that brings an org whose keys were made already: `CONFLICTING_FLAGS`), and with a PKCS#11 token
 * for Ed25519 ({@link assertKeyAlgorithmFitsToken}). Undefined when not given.
 */
export function newOrgKeyAlgorithm(value: string | undefined, keys: HsmKeyFlags, code: string, madeElsewhereBy?: string): OrgKeyAlgorithm | undefined {
  const algorithm = parseKeyAlgorithm(value, code);
  if (algorithm !== undefined && madeElsewhereBy !== undefined) {
    throw new ConfigError('CONFLICTING_FLAGS', `--key-algorithm chooses the keys of an org made here; with ${madeElsewhereBy} the org's keys were made already`, {
      field: '--key-algorithm',
      suggestions: [`leave out --key-algorithm with ${madeElsewhereBy}: the org's CA certificate says its algorithm`],
    });
  }
  assertKeyAlgorithmFitsToken(algorithm, keys);
  return algorithm;
}

/**
 * `--intermediate-ca` as a command that makes an org's keys takes it (add-org, new-org): undefined
 * when not given (so `--from-file` can tell it was not), refused with `madeElsewhereBy` as
 * {@link newOrgKeyAlgorithm} refuses `--key-algorithm`: the org's CAs were made already.
 */
export function newOrgIntermediateCa(given: boolean, madeElsewhereBy?: string): true | undefined {
  if (!given) return undefined;
  if (madeElsewhereBy !== undefined) {
    throw new ConfigError('CONFLICTING_FLAGS', `--intermediate-ca chooses the CAs of an org made here; with ${madeElsewhereBy} the org's CAs were made already`, {
      field: '--intermediate-ca',
      suggestions: [`leave out --intermediate-ca with ${madeElsewhereBy}: the org's MSP folder (intermediatecerts/) says how it issues`],
    });
  }
  return true;
}
