import { stringify } from 'yaml';
import { MspKeyImporter, type MspKeyImport } from '../../core/msp/msp-key-importer';
import { slotService } from '../../core/node/slot-service';
import { tokenPinFromEnv } from './client/cli-token';
import { NETWORK_MSP_PLUGIN } from './msp-tooling';

/** The environment variable `weft msp import-key` reads the token PIN from unless told another. */
export const DEFAULT_PIN_ENV = 'WEFT_PKCS11_PIN';

/**
 * Moves `mspDir`'s keystore key into the token, the PIN read from the environment variable
 * `pinEnv` (never from the command line, where `ps` and shell history would show it).
 */
export function importKeyIntoHsm(options: { mspDir: string; library: string; label: string; pinEnv: string; altId?: string }, env: NodeJS.ProcessEnv = process.env): MspKeyImport {
  const pin = tokenPinFromEnv(options.pinEnv, '--pin-env', env);
  const importer = slotService<MspKeyImporter>('msp', NETWORK_MSP_PLUGIN, MspKeyImporter);
  return importer.importKey({ mspDir: options.mspDir, library: options.library, label: options.label, pin, altId: options.altId });
}

/** The YAML to put in the node's config for a key imported as `result` says. */
export function nodeYamlFor(result: MspKeyImport): string {
  return stringify({ plugins: { msp: { plugin: NETWORK_MSP_PLUGIN, options: result.mspOptions } } });
}
