import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  FabricCryptoConfig,
  FabricMSPConfig,
  FabricNodeOUs,
  FabricOUIdentifier,
} from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MspError } from '../../core/errors';
import { assertNotExpired } from '../../core/msp/expiry';
import type { LoadSigningIdentityOptions, LocalMspPart } from '../../core/msp/msp';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { serializeIdentity } from '../../core/protocol/serialized-identity';
import { goPemDecode } from './go-pem';
import { processTokenLeases, tokenSigningIdentity, type TokenLeases } from './token-leases';
import { X509Msp, X509MspOptions } from './x509-msp';
import { X509SigningIdentity } from './x509-signing-identity';

const MAX_FOLDER_FILES = 256;
const MAX_FILE_BYTES = 1024 * 1024;

const OuIdentifierYaml = z.object({
  Certificate: z.string().optional(),
  OrganizationalUnitIdentifier: z.string().min(1),
});

/** The parts of Fabric's MSP `config.yaml` this MSP reads (`msp/configbuilder.go` Configuration). */
export const MspFolderConfigYaml = z.object({
  OrganizationalUnitIdentifiers: z.array(OuIdentifierYaml).optional(),
  NodeOUs: z
    .object({
      Enable: z.boolean().default(false),
      ClientOUIdentifier: OuIdentifierYaml.optional(),
      PeerOUIdentifier: OuIdentifierYaml.optional(),
      AdminOUIdentifier: OuIdentifierYaml.optional(),
      OrdererOUIdentifier: OuIdentifierYaml.optional(),
    })
    .optional(),
});
export type MspFolderConfigYaml = z.infer<typeof MspFolderConfigYaml>;

function folderError(code: string, message: string, file: string, cause?: unknown): MspError {
  return new MspError(code, message, { file }, cause === undefined ? undefined : { cause });
}

function readFile(file: string): Buffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw folderError(MspErrorCode.BadFolder, `${file} cannot be read: ${(err as Error).message}`, file, err);
  }
  if (!stat.isFile() || stat.size > MAX_FILE_BYTES) {
    throw folderError(MspErrorCode.BadFolder, `${file} must be a regular file of at most ${MAX_FILE_BYTES} bytes`, file);
  }
  return fs.readFileSync(file);
}

/** Regular files of `dir` in name order; [] when `dir` is absent and not `required`. */
function listFiles(dir: string, required: boolean): string[] {
  if (!fs.existsSync(dir)) {
    if (required) throw folderError(MspErrorCode.BadFolder, `MSP folder is missing ${path.basename(dir)}/ (${dir})`, dir);
    return [];
  }
  const names = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() || d.isSymbolicLink())
    .map((d) => d.name)
    .sort();
  if (names.length > MAX_FOLDER_FILES) throw folderError(MspErrorCode.BadFolder, `${dir} holds more than ${MAX_FOLDER_FILES} files`, dir);
  if (required && names.length === 0) throw folderError(MspErrorCode.BadFolder, `${dir} is empty; expected at least one PEM file`, dir);
  return names.map((n) => path.join(dir, n));
}

/**
 * The files of `dir` as MSP config entries, as Fabric's `getPemMaterialFromDir` and `readPemFile`
 * (msp/configbuilder.go) make them: one entry per file, its bytes exactly as read, a bundle of
 * several PEM blocks included (the MSP then reads the first block of an entry, as Fabric's
 * `getCertFromPem`). Configtxgen puts these bytes in the channel config, so any rewriting here
 * gives a group Fabric's tools do not give. A file where Go's `pem.Decode` finds no block is
 * refused (Fabric logs it and skips it: a silent hole in the MSP).
 */
function pemEntries(dir: string, required: boolean): Uint8Array[] {
  const out = listFiles(dir, required).map((file) => {
    const bytes = new Uint8Array(readFile(file));
    if (goPemDecode(bytes) === undefined) throw folderError(MspErrorCode.BadFolder, `${file} holds no PEM block`, file);
    return bytes;
  });
  if (required && out.length === 0) throw folderError(MspErrorCode.BadFolder, `${dir} holds no PEM file`, dir);
  return out;
}

/** The first PEM block of `label` in the first file of `dir`, re-ended with a newline: a signing certificate. */
export function firstPemBlock(dir: string, label: string): Uint8Array {
  const [file] = listFiles(dir, true);
  const block = new RegExp(`-----BEGIN ${label}-----[A-Za-z0-9+/=\\s]+?-----END ${label}-----`).exec(readFile(file!).toString('latin1'));
  if (block === null) throw folderError(MspErrorCode.BadFolder, `${file!} holds no "${label}" PEM block`, file!);
  return new Uint8Array(Buffer.from(`${block[0]}\n`, 'latin1'));
}

function readConfigYaml(mspDir: string): MspFolderConfigYaml | undefined {
  const file = path.join(mspDir, 'config.yaml');
  if (!fs.existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = parseYaml(readFile(file).toString('utf8'));
  } catch (err) {
    throw folderError(MspErrorCode.BadFolder, `${file} is not valid YAML: ${(err as Error).message}`, file, err);
  }
  const parsed = MspFolderConfigYaml.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw folderError(MspErrorCode.BadFolder, `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, file);
  }
  return parsed.data;
}

function ouIdentifier(mspDir: string, ou: z.infer<typeof OuIdentifierYaml>): FabricOUIdentifier {
  const id = new FabricOUIdentifier();
  id.setOrganizationalUnitIdentifier(ou.OrganizationalUnitIdentifier);
  if (ou.Certificate) id.setCertificate(new Uint8Array(readFile(path.resolve(mspDir, ou.Certificate))));
  return id;
}

/**
 * Reads a Fabric MSP folder (`cacerts/`, `intermediatecerts/`, `admincerts/`, `crls/`,
 * `tlscacerts/`, `tlsintermediatecerts/`, `config.yaml`) into the `FabricMSPConfig` a channel
 * config carries, one entry per file as Fabric's `GetVerifyingMspConfig` ({@link pemEntries}).
 * Never reads `keystore/`.
 */
export function loadMspConfig(mspDir: string, mspId: string): FabricMSPConfig {
  const config = new FabricMSPConfig();
  config.setName(mspId);
  config.setRootCertsList(pemEntries(path.join(mspDir, 'cacerts'), true));
  config.setIntermediateCertsList(pemEntries(path.join(mspDir, 'intermediatecerts'), false));
  config.setAdminsList(pemEntries(path.join(mspDir, 'admincerts'), false));
  config.setRevocationListList(pemEntries(path.join(mspDir, 'crls'), false));
  config.setTlsRootCertsList(pemEntries(path.join(mspDir, 'tlscacerts'), false));
  config.setTlsIntermediateCertsList(pemEntries(path.join(mspDir, 'tlsintermediatecerts'), false));
  const crypto = new FabricCryptoConfig();
  crypto.setSignatureHashFamily('SHA2');
  crypto.setIdentityIdentifierHashFunction('SHA256');
  config.setCryptoConfig(crypto);
  const yaml = readConfigYaml(mspDir);
  if (yaml?.OrganizationalUnitIdentifiers) {
    config.setOrganizationalUnitIdentifiersList(yaml.OrganizationalUnitIdentifiers.map((ou) => ouIdentifier(mspDir, ou)));
  }
  if (yaml?.NodeOUs) {
    const n = yaml.NodeOUs;
    const ous = new FabricNodeOUs();
    ous.setEnable(n.Enable);
    if (n.ClientOUIdentifier) ous.setClientOuIdentifier(ouIdentifier(mspDir, n.ClientOUIdentifier));
    if (n.PeerOUIdentifier) ous.setPeerOuIdentifier(ouIdentifier(mspDir, n.PeerOUIdentifier));
    if (n.AdminOUIdentifier) ous.setAdminOuIdentifier(ouIdentifier(mspDir, n.AdminOUIdentifier));
    if (n.OrdererOUIdentifier) ous.setOrdererOuIdentifier(ouIdentifier(mspDir, n.OrdererOUIdentifier));
    config.setFabricNodeOus(ous);
  }
  return config;
}

function matchesPublicKey(publicKey: KeyObject, privateKey: KeyObject): boolean {
  const spki = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
  return Buffer.compare(spki(publicKey), spki(createPublicKey(privateKey))) === 0;
}

/**
 * Loads a node's or user's signing identity from its MSP folder: the first certificate in
 * `signcerts/`, and the key in `keystore/` that matches it (`priv_sk` from cryptogen, `<ski>_sk`
 * from fabric-ca), or with `options.bccsp.default: PKCS11` the token key its SKI names (`tokens`
 * holds the session; by default one kept for the process). The identity is validated against the
 * folder's own MSP and must not have expired (MSP_EXPIRED) before it is returned, unless
 * `load.allowExpired`.
 */
export function loadSigningIdentity(
  mspDir: string,
  mspId: string,
  options: X509MspOptions = {},
  load: LoadSigningIdentityOptions = {},
  tokens: TokenLeases = processTokenLeases,
): X509SigningIdentity {
  return signingIdentityOf(new X509Msp(loadMspConfig(mspDir, mspId), options), mspDir, mspId, { options, tokens, allowExpired: load.allowExpired === true });
}

/**
 * The folder's MSP and its signing identity, each file read once: {@link loadMspConfig}'s MSP, and
 * {@link loadSigningIdentity}'s identity validated by that same MSP. An `MspError` says in
 * `details.part` which of the two failed (`LocalMspPart`).
 */
export function loadLocalMsp(
  mspDir: string,
  mspId: string,
  options: X509MspOptions = {},
  tokens: TokenLeases = processTokenLeases,
): { msp: X509Msp; signer: X509SigningIdentity } {
  const msp = inPart('msp', () => new X509Msp(loadMspConfig(mspDir, mspId), options));
  return { msp, signer: inPart('signer', () => signingIdentityOf(msp, mspDir, mspId, { options, tokens, allowExpired: false })) };
}

function inPart<T>(part: LocalMspPart, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof MspError)) throw err;
    throw new MspError(err.code, err.message, { ...err.details, part }, err.cause === undefined ? undefined : { cause: err.cause });
  }
}

interface SignerSource {
  readonly options: X509MspOptions;
  readonly tokens: TokenLeases;
  readonly allowExpired: boolean;
}

/** The certificate in `signcerts/` with its key from `keystore/` or the token, validated by `msp`, the folder's own. */
function signingIdentityOf(msp: X509Msp, mspDir: string, mspId: string, source: SignerSource): X509SigningIdentity {
  const signcerts = path.join(mspDir, 'signcerts');
  const certPem = firstPemBlock(signcerts, 'CERTIFICATE');
  const identity = msp.deserializeIdentity(serializeIdentity(mspId, certPem));
  const bccsp = X509MspOptions.parse(source.options).bccsp;
  const key = bccsp?.default === 'PKCS11' ? undefined : keystoreKey(identity.certificate.publicKey, mspDir).key;
  identity.validate();
  // Fabric's setupSigningIdentity: a node does not start with an expired signing certificate.
  if (!source.allowExpired) assertNotExpired(identity);
  return key !== undefined ? new X509SigningIdentity(identity, key) : tokenSigningIdentity(identity, bccsp!.pkcs11!, source.tokens, signcerts);
}

/**
 * Whether `mspDir/keystore` holds anything: an emptied keystore is a key moved into a PKCS#11 token
 * (`weft msp import-key`), the rule the import, renewal and the CLI go by.
 */
export function keystoreHoldsKey(mspDir: string): boolean {
  const keystore = path.join(mspDir, 'keystore');
  return fs.existsSync(keystore) && fs.readdirSync(keystore).length > 0;
}

/** The key in `keystore/` whose public half is `publicKey`, and its file. Throws MSP_BAD_FOLDER (no keystore/) or MSP_KEY_MISMATCH. */
export function keystoreKey(publicKey: KeyObject, mspDir: string): { key: KeyObject; file: string } {
  const keystore = path.join(mspDir, 'keystore');
  for (const file of listFiles(keystore, true)) {
    let candidate: KeyObject;
    try {
      candidate = createPrivateKey(readFile(file));
    } catch {
      continue; // not a key (fabric-ca leaves other files here); the mismatch error below names the folder
    }
    if (candidate.type === 'private' && matchesPublicKey(publicKey, candidate)) return { key: candidate, file };
  }
  throw folderError(MspErrorCode.KeyMismatch, `${keystore} holds no private key matching the certificate in ${path.join(mspDir, 'signcerts')}`, keystore);
}
