import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChaincodeError } from '../../../core/errors';
import { readChaincodePackage } from '../../../core/chaincode/chaincode-package';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import { installedPackage, queryInstalled } from './lifecycle';
import { shellWord } from '../../../core/node/shell-word';

/** A package ID as `_lifecycle` gives it: `<label>:<sha256 hex>`. */
const PACKAGE_ID = /^[A-Za-z0-9_.+-]+:[0-9a-f]{64}$/;

/** Whether `deploy`'s SOURCE names an installed package (its ID) rather than a file or folder: no such path, and a package ID's form. */
export function namesInstalledPackage(source: string): boolean {
  return PACKAGE_ID.test(source) && !fs.existsSync(path.resolve(source));
}

/**
 * The package an earlier deploy installed, by its ID, from the first of `peers` that has it: what
 * an operator has at hand to roll a chaincode back (`weft chaincode query-installed` lists them),
 * when the project as it was is not. The bytes are checked to be that package; `install` then puts
 * it on the peers that lack it. None of them has it: `CHAINCODE_NOT_FOUND`, listing the IDs they
 * have under the same label name.
 */
export async function installedPackageSource(layout: NetworkLayout, peers: readonly NodeLayout[], packageId: string): Promise<{ bytes: Uint8Array; packageId: string; label: string; from: string }> {
  const seen = new Set<string>();
  for (const peer of peers) {
    const installed = await queryInstalled(layout, peer);
    for (const p of installed) seen.add(p.packageId);
    if (!installed.some((p) => p.packageId === packageId)) continue;
    const bytes = await installedPackage(layout, peer, packageId);
    const pkg = await readChaincodePackage(bytes);
    if (pkg.packageId !== packageId) {
      throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `${peer.id} answered package ${packageId} with the bytes of ${pkg.packageId}`, { peer: peer.id, packageId });
    }
    return { bytes, packageId, label: pkg.metadata.label, from: peer.id };
  }
  // The same chaincode's other packages: the label up to its version, as deploy names them (<name>_<version>).
  const name = packageId.slice(0, packageId.indexOf(':')).replace(/_[^_]*$/, '');
  const alike = [...seen].filter((id) => id.startsWith(`${name}_`) || id.startsWith(`${name}:`)).sort();
  throw new ChaincodeError('CHAINCODE_NOT_FOUND', `package ${packageId} is installed on none of ${peers.map((p) => p.id).join(', ')}`, {
    packageId,
    installed: alike,
    suggestions: [
      ...(alike.length > 0 ? [`installed there: ${alike.join(', ')}`] : []),
      `list every installed package: weft chaincode query-installed ${shellWord(layout.dir)} --org <org>`,
      'or pass the project folder, or a package file made by weft chaincode package',
    ],
  });
}
