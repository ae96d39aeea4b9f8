import { ContainerModule } from '../../core/di';
import { ConfigError } from '../../core/errors';
import { CryptoMaterialGenerator } from '../../core/msp/crypto-material';
import { MspProvider, MspProviderFactory } from '../../core/msp/msp';
import { MspKeyImporter } from '../../core/msp/msp-key-importer';
import { NodeConfigToken, slotOptions, type NodeConfig } from '../../core/node/config';
import { orgAuthority } from './crypto-material/org-authority';
import { importMspKey } from './msp-key-import';
import { generateOrg } from './crypto-material/org-generator';
import { X509MspOptions } from './x509-msp';
import { X509MspProvider } from './x509-msp-provider';

/** Parses `plugins.msp.options` from the node config, naming the offending field on error. */
export function mspOptionsFrom(raw: Record<string, unknown>): X509MspOptions {
  const parsed = X509MspOptions.strict().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = ['plugins', 'msp', 'options', ...issue.path.map(String)].join('.');
    throw new ConfigError('CONFIG_INVALID', `${where}: ${issue.message} (msp-x509 accepts identityCacheSize and maxIdentityBytes, positive integers, and bccsp: {default: SW | PKCS11, pkcs11: {library, label, pin, hash, security, softwareVerify, immutable, altId, keyIds}})`, {
      path: where,
    });
  }
  return parsed.data;
}


/**
 * Binds the X.509 MSP provider to `MspProvider` (options from the node config when one is bound)
 * the cryptogen-layout generator to `CryptoMaterialGenerator`, the PKCS#11 key import of
 * `weft msp import-key`, and an {@link MspProviderFactory} for the CLI's token identities.
 */
export default new ContainerModule(({ bind }) => {
  bind(CryptoMaterialGenerator).toConstantValue({
    generateOrg: (spec, baseDir) =>
      generateOrg(
        {
          ...spec,
          nodes: spec.nodes && [...spec.nodes],
          users: spec.users && [...spec.users],
          nodeSans: spec.nodeSans && Object.fromEntries(Object.entries(spec.nodeSans).map(([host, sans]) => [host, [...sans]])),
        },
        baseDir,
      ),
    authority: orgAuthority,
  } satisfies CryptoMaterialGenerator);
  bind(MspKeyImporter).toConstantValue({ importKey: importMspKey } satisfies MspKeyImporter);
  bind(MspProviderFactory).toConstantValue(((options) => new X509MspProvider(mspOptionsFrom(options))) satisfies MspProviderFactory);
  bind(MspProvider)
    .toDynamicValue((ctx) => {
      const config = ctx.get<NodeConfig>(NodeConfigToken, { optional: true });
      return new X509MspProvider(config !== undefined ? mspOptionsFrom(slotOptions(config, 'msp')) : {});
    })
    .inSingletonScope()
    // A node's container is unbound when it stops: its PKCS#11 sessions close with it.
    .onDeactivation((provider) => (provider as X509MspProvider).close());
});
