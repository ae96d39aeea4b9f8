import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../core/errors';
import { MspProviderFactory, type MspProvider } from '../../../core/msp/msp';
import { slotService } from '../../../core/node/slot-service';
import { NETWORK_MSP_PLUGIN } from '../msp-tooling';

/**
 * The PKCS#11 token the CLI's own identities (users, Admins) sign in, when their key was moved
 * there (`weft msp import-key`). Environment variables, as the node's PIN already is: one token
 * per shell, nothing written in network.yaml that another machine would not have.
 */
export const CLI_PKCS11_LIBRARY_ENV = 'WEFT_PKCS11_LIBRARY';
export const CLI_PKCS11_LABEL_ENV = 'WEFT_PKCS11_LABEL';

/**
 * The msp-x509 options that make a user load from the CLI's token: its `bccsp` section (the PIN
 * comes from WEFT_PKCS11_PIN, read by the plugin). Undefined when neither variable is set;
 * `CLI_PKCS11_INCOMPLETE` when only one is.
 */
export function cliTokenMspOptions(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> | undefined {
  const library = env[CLI_PKCS11_LIBRARY_ENV];
  const label = env[CLI_PKCS11_LABEL_ENV];
  if (library === undefined && label === undefined) return undefined;
  if (library === undefined || library === '' || label === undefined || label === '') {
    const missing = library === undefined || library === '' ? CLI_PKCS11_LIBRARY_ENV : CLI_PKCS11_LABEL_ENV;
    throw new ConfigError('CLI_PKCS11_INCOMPLETE', `${missing} is not set: the CLI's token needs both ${CLI_PKCS11_LIBRARY_ENV} (the PKCS#11 module) and ${CLI_PKCS11_LABEL_ENV} (the token label)`, {
      field: missing,
    });
  }
  return tokenMspOptions(library, label);
}

/** msp-x509's `plugins.msp.options` for a key in the token `label` of `library`; the PIN stays in WEFT_PKCS11_PIN, out of every file. */
export function tokenMspOptions(library: string, label: string): Record<string, unknown> {
  return { bccsp: { default: 'PKCS11', pkcs11: { library, label } } };
}

/**
 * A token's user PIN from the environment variable `pinEnv`, never from a flag (`ps` and shell
 * history would show it). `HSM_PIN_MISSING`, naming `field`, when it is unset or empty.
 */
export function tokenPinFromEnv(pinEnv: string, field: string, env: NodeJS.ProcessEnv = process.env): string {
  const pin = env[pinEnv];
  if (pin === undefined || pin === '') {
    throw new ConfigError('HSM_PIN_MISSING', `the token's user PIN is read from the environment variable ${pinEnv}, which is not set`, {
      field,
      suggestions: [`export ${pinEnv}=<user PIN> and run the command again`],
    });
  }
  return pin;
}

let tokenProvider: { readonly key: string; readonly provider: MspProvider } | undefined;

/**
 * The MSP provider that loads users from the CLI's token ({@link cliTokenMspOptions}), one per
 * process: its token session is opened once for every identity a command loads, and ends with it.
 */
export function cliTokenProvider(options: Record<string, unknown>): MspProvider {
  const key = JSON.stringify(options);
  if (tokenProvider?.key !== key) {
    const factory = slotService<MspProviderFactory>('msp', NETWORK_MSP_PLUGIN, MspProviderFactory);
    tokenProvider = { key, provider: factory(options) };
  }
  return tokenProvider.provider;
}

/** Closes {@link cliTokenProvider}'s token session, for a caller that goes on without it (a test, a long-lived process). */
export function closeCliTokenProvider(): void {
  tokenProvider?.provider.close?.();
  tokenProvider = undefined;
}

/** Whether `mspDir/keystore` holds a file: where a member's key is when it is not in a token. */
export function keystoreHasKey(mspDir: string): boolean {
  const keystore = path.join(mspDir, 'keystore');
  return fs.existsSync(keystore) && fs.readdirSync(keystore).length > 0;
}

/**
 * Whether `mspDir/keystore` is there but empty: the member's key is in a PKCS#11 token (moved by
 * `weft msp import-key`, or made there by `--hsm-library`). An export leaves out other orgs'
 * keystore folders altogether, so those never count.
 */
export function keystoreEmptied(mspDir: string): boolean {
  const keystore = path.join(mspDir, 'keystore');
  return fs.existsSync(keystore) && fs.readdirSync(keystore).length === 0;
}

/** The CLI token's msp options for a user whose key is in a token ({@link keystoreEmptied}) when the CLI's token variables are set; undefined otherwise. */
export function userTokenOptions(mspDir: string, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> | undefined {
  if (!keystoreEmptied(mspDir)) return undefined;
  return cliTokenMspOptions(env);
}

/** A token's module and label, as a node YAML names them (no PIN: that stays in WEFT_PKCS11_PIN). */
export interface TokenName {
  readonly library: string;
  readonly label: string;
}

/** The token a node's YAML signs in (`plugins.msp.options.bccsp`: default PKCS11, pkcs11 library and label); undefined for a key in a file or no YAML here. */
export function nodeTokenOf(configFile: string): TokenName | undefined {
  if (!fs.existsSync(configFile)) return undefined;
  const config = parseYaml(fs.readFileSync(configFile, 'utf8')) as { plugins?: { msp?: { options?: { bccsp?: { default?: unknown; pkcs11?: { library?: unknown; label?: unknown } } } } } } | null;
  const bccsp = config?.plugins?.msp?.options?.bccsp;
  const { library, label } = bccsp?.pkcs11 ?? {};
  return bccsp?.default === 'PKCS11' && typeof library === 'string' && typeof label === 'string' ? { library, label } : undefined;
}

/** Whether the node's YAML loads its MSP key from a token (`plugins.msp.options.bccsp.default: PKCS11` with its library and label). */
export function nodeSignsInToken(configFile: string): boolean {
  return nodeTokenOf(configFile) !== undefined;
}

/**
 * Whether a member whose certificate is re-issued keeps its key in a token: true when its
 * keystore is empty and its node YAML (a node) or the CLI's token variables (a user) say PKCS11;
 * false when its keystore holds its key. `MEMBER_KEY_NOT_HERE` otherwise, naming what to set.
 */
export function memberKeyInToken(member: { readonly id: string; readonly mspDir: string; readonly configFile?: string }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (keystoreHasKey(member.mspDir)) return false;
  if (member.configFile !== undefined ? nodeSignsInToken(member.configFile) : userTokenOptions(member.mspDir, env) !== undefined) return true;
  const keystore = path.join(member.mspDir, 'keystore');
  const fix =
    member.configFile !== undefined
      ? `a node on a PKCS#11 token has plugins.msp.options.bccsp.default: PKCS11 in ${member.configFile} (weft msp import-key prints that section)`
      : `a user whose key is in a PKCS#11 token needs ${CLI_PKCS11_LIBRARY_ENV} and ${CLI_PKCS11_LABEL_ENV} set (and WEFT_PKCS11_PIN)`;
  throw new ConfigError('MEMBER_KEY_NOT_HERE', `${member.id} has no key in ${keystore}, and nothing says it is in a token: ${fix}`, {
    file: keystore,
    suggestions: [fix, "or run this where the member's keys are: the directory weft network init made"],
  });
}
