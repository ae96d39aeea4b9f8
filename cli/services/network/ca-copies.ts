import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FabricMSPConfig, FabricOUIdentifier } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import type { Progress } from './network-access';
import { networkDown, networkUp } from './network-control';
import type { NetworkLayout, NodeLayout } from './network-layout';
import type { OrgAuthority } from './org-authority';
import { isPrivateKey } from './org-keys';
import { runningPid } from './node-processes';
import { reloadLocalMsps } from './node-reload';
import { shellWord } from '../../../core/node/shell-word';

/** A CA certificate and the one it replaces (same subject and key): what renewing or recovering a CA puts in place. */
export type CaReplacement = Pick<RenewedCa, 'certPem' | 'previousPem'>;

/** A CA certificate's end. */
export function caEnd(pem: string): Date {
  return new Date(new X509Certificate(pem).validTo);
}

/** What a recovery puts in place of a CA: the re-issued certificate when the one here (ending at `end`) ended by `now`, else the one here. */
export function caInPlace(reissued: CaReplacement, end: Date, now: Date): CaReplacement {
  return end.getTime() <= now.getTime() ? reissued : { certPem: reissued.previousPem, previousPem: reissued.previousPem };
}

/**
 * The MSP config with every copy of `ca` (a root or TLS root, an intermediate or TLS intermediate,
 * a NodeOU or OU identifier's certificate) replaced by `renewed`: `which` is the kind of CA, its
 * enrollment (`ca`) or TLS (`tlsca`) lists searched.
 */
export function withRenewedCa(msp: FabricMSPConfig, authority: OrgAuthority, which: 'ca' | 'tlsca', renewed: CaReplacement): FabricMSPConfig {
  const next = msp.cloneMessage();
  const fresh = Buffer.from(renewed.certPem);
  const swap = (cert: Uint8Array): Uint8Array => (cert.length > 0 && authority.sameCa(cert, Buffer.from(renewed.previousPem)) ? fresh : cert);
  if (which === 'tlsca') {
    next.setTlsRootCertsList(next.getTlsRootCertsList_asU8().map(swap));
    next.setTlsIntermediateCertsList(next.getTlsIntermediateCertsList_asU8().map(swap));
    return next;
  }
  // Replaced, not added: two roots with the same subject and key give every identity two chains,
  // and Fabric's MSP refuses an identity without exactly one (getUniqueValidationChain).
  next.setRootCertsList(next.getRootCertsList_asU8().map(swap));
  next.setIntermediateCertsList(next.getIntermediateCertsList_asU8().map(swap));
  // A NodeOU or OU identifier names its CA by certificate, which must be one of the roots
  // (getCertifiersIdentifier): the old one would make the whole MSP fail to set up.
  const ids: (FabricOUIdentifier | undefined)[] = [...next.getOrganizationalUnitIdentifiersList()];
  const ous = next.getFabricNodeOus();
  if (ous !== undefined) ids.push(ous.getClientOuIdentifier(), ous.getPeerOuIdentifier(), ous.getAdminOuIdentifier(), ous.getOrdererOuIdentifier());
  for (const id of ids) if (id !== undefined) id.setCertificate(swap(id.getCertificate_asU8()));
  return next;
}

/** Every certificate file under `organizations/` holding a copy of `renewed`'s CA (same subject and key) that is not yet the new certificate. */
export function copiesOf(network: NetworkLayout, authority: OrgAuthority, renewed: CaReplacement): string[] {
  const fresh = Buffer.from(renewed.certPem);
  return copiesOfCa(network, authority, renewed.previousPem).filter((file) => !fs.readFileSync(file).equals(fresh));
}

/** Every certificate file under `organizations/` holding a copy of the CA of `pem` (same subject and key), whichever certificate of it. */
export function copiesOfCa(network: NetworkLayout, authority: OrgAuthority, pem: string): string[] {
  const ca = Buffer.from(pem);
  return fs
    .readdirSync(network.organizationsDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(pem|crt)$/.test(e.name) && !isPrivateKey(path.join(e.parentPath, e.name)))
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => {
      const bytes = fs.readFileSync(file);
      if (!bytes.includes('-----BEGIN CERTIFICATE-----')) return false;
      try {
        return new X509Certificate(bytes).ca && authority.sameCa(bytes, ca);
      } catch {
        return false;
      }
    });
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g;

/**
 * The new content of every file under `organizations/` holding a copy of one of `renewed`'s CAs,
 * each copy replaced by its renewed certificate: a file may be a bundle (an intermediate org's
 * `tls/ca.crt` holds its TLS root and intermediate), whose other certificates stay as they are.
 */
export function renewedCopies(network: Pick<NetworkLayout, 'organizationsDir'>, authority: OrgAuthority, renewed: readonly CaReplacement[]): Map<string, string> {
  const contents = new Map<string, string>();
  const files = fs
    .readdirSync(network.organizationsDir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(pem|crt)$/.test(e.name) && !isPrivateKey(path.join(e.parentPath, e.name)))
    .map((e) => path.join(e.parentPath, e.name));
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const next = text.replace(PEM_CERTIFICATE, (block) => {
      const match = renewed.find((r) => isCopyOf(block, authority, r.previousPem));
      return match === undefined ? block : block.endsWith('\n') ? `${match.certPem.trimEnd()}\n` : match.certPem.trimEnd();
    });
    if (next !== text) contents.set(file, next);
  }
  return contents;
}

function isCopyOf(block: string, authority: OrgAuthority, caPem: string): boolean {
  try {
    return new X509Certificate(block).ca && authority.sameCa(Buffer.from(block), Buffer.from(caPem));
  } catch {
    return false;
  }
}

/** Writes every file's new content beside it, then renames each onto it: no file is seen half written. */
export function replaceFiles(contents: ReadonlyMap<string, string>): void {
  const staged = [...contents].map(([file, text]) => {
    const tmp = `${file}.weft-renew-${process.pid}`;
    fs.writeFileSync(tmp, text, { mode: fs.statSync(file).mode & 0o777 });
    return [tmp, file] as const;
  });
  for (const [tmp, file] of staged) fs.renameSync(tmp, file);
}

/** Nodes of this directory that read one of `files` at start: a copy in their folder, or a path in their config. */
export function nodesReading(network: NetworkLayout, files: readonly string[]): NodeLayout[] {
  return network.nodes().filter((node) => {
    const config = fs.existsSync(node.configFile) ? fs.readFileSync(node.configFile, 'utf8') : '';
    return files.some((f) => f.startsWith(node.cryptoDir + path.sep) || config.includes(path.relative(node.nodeDir, f)) || config.includes(f));
  });
}

/** How the nodes running here took replaced CA copies. */
export interface CopiesTaken {
  readonly restarted: string[];
  readonly reloaded: string[];
  /** Running on the old copy until restarted. */
  readonly restartNeeded: string[];
}

/**
 * The nodes running here that read one of `files` (but not `skip`) take the new copies: a reload
 * (their local MSP and every listener's client CA roots are re-read), or with `restart` a restart.
 * Those that could not reload are named in progress with how to restart them.
 */
export async function takeReplacedCopies(dir: string, network: NetworkLayout, files: readonly string[], options: { restart?: boolean; skip?: readonly string[]; goodUntil: string }, progress: Progress): Promise<CopiesTaken> {
  const running = nodesReading(network, files).filter((n) => runningPid(n) !== undefined && !(options.skip ?? []).includes(n.id));
  if (running.length === 0) return { restarted: [], reloaded: [], restartNeeded: [] };
  if (options.restart === true) {
    const ids = running.map((n) => n.id);
    await networkDown(dir, 10_000, progress, ids);
    await networkUp(dir, progress, ids);
    return { restarted: ids, reloaded: [], restartNeeded: [] };
  }
  // A CA's copies a node reads are in its local MSP; a TLS CA's also in its listeners' client root
  // files: a reload re-reads all of them.
  const r = await reloadLocalMsps(network, running, progress);
  const waiting = [...r.signalled, ...r.restartNeeded];
  if (waiting.length > 0) {
    progress(`${waiting.join(', ')} run on the old copy until restarted (good until ${options.goodUntil}): weft network down ${shellWord(dir)} --node <id> && weft network up ${shellWord(dir)} --node <id>, or renew with --restart`);
  }
  return { restarted: [], reloaded: r.reloaded, restartNeeded: waiting };
}
