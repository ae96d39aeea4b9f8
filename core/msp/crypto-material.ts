/** One organization's identities to generate, in cryptogen's terms. */
export interface OrgMaterialSpec {
  /** `org1.example.com`: nodes are `<node>.<domain>`, users `<User>@<domain>`. */
  readonly domain: string;
  readonly mspId: string;
  readonly kind: 'peer' | 'orderer';
  /** Host labels (`peer0`); defaults `peer0` / `orderer`. */
  readonly nodes?: readonly string[];
  /** `Admin` gets the admin role, others the client role; defaults `Admin` (+ `User1` for peer orgs). */
  readonly users?: readonly string[];
  /**
   * More names for a node's TLS certificate, by host label (cryptogen's per-node `SANS`): the host
   * name or IP address other machines reach it at.
   */
  readonly nodeSans?: Readonly<Record<string, readonly string[]>>;
  /**
   * A PKCS#11 token to generate every node's and user's enrollment (signing) key in, as Fabric's
   * PKCS11 BCCSP generates keys: filed under the certificate's SKI, not extractable, and no
   * `msp/keystore/` file written (the folder is left empty). CA and TLS keys stay files.
   */
  readonly signingKeys?: SigningKeyToken;
  /**
   * cryptogen's `PublicKeyAlgorithm`: the key of the org's CA, TLS CA and every node's and user's
   * signing and TLS key; default `ecdsa` (P-256). `ed25519` goes without `signingKeys` (a token
   * makes P-256 keys). Later issues follow the CA's key, so the org's files are its record.
   */
  readonly keyAlgorithm?: OrgKeyAlgorithm;
  /**
   * The org's members are issued by an intermediate CA (and TLS intermediate) that its root CA
   * signs, as a Fabric CA deployment keeps its root offline: the issuing CAs where cryptogen's
   * layout keeps its CAs (`ca/`, `tlsca/`), the roots beside them (`rootca/`, `tlsrootca/`), and
   * every MSP folder with `intermediatecerts/` and `tlsintermediatecerts/`. Default false.
   */
  readonly intermediateCa?: boolean;
}

/** An org's key algorithm by Fabric 3 cryptogen's names (`cmd/cryptogen/main.go` `PublicKeyAlgorithm`). */
export const ORG_KEY_ALGORITHMS = ['ecdsa', 'ed25519'] as const;
export type OrgKeyAlgorithm = (typeof ORG_KEY_ALGORITHMS)[number];

/** Where {@link OrgMaterialSpec.signingKeys} are generated. The PIN is never written or logged. */
export interface SigningKeyToken {
  /** The PKCS#11 module (a `.so` path). */
  readonly library: string;
  /** The token's label. */
  readonly label: string;
  /** The token's user PIN. */
  readonly pin: string;
}

/** Where an organization's generated material landed. */
export interface GeneratedOrgMaterial {
  /** `<baseDir>/organizations/{peer,orderer}Organizations/<domain>`. */
  readonly orgDir: string;
  /** The org-level MSP folder (no private keys): what a channel config carries. */
  readonly mspDir: string;
  /**
   * Present when the members' keys were generated in a token ({@link OrgMaterialSpec.signingKeys}):
   * destroys them there, for a caller that throws the generated org away (its folder is the
   * caller's to remove). Throws the plugin's token errors.
   */
  readonly discardSigningKeys?: () => void;
}

/**
 * Scaffolding tooling of the `msp` slot: certificate authorities and identities for a new network,
 * written in cryptogen's folder layout so Fabric tooling and docs apply unchanged. Called by
 * `weft network init`, once per organization.
 */
export interface CryptoMaterialGenerator {
  /**
   * Generates the org's CA, TLS CA, MSP folders, node and user identities (keys written 0600)
   * under `baseDir/organizations`. Refuses to overwrite an existing org (`ConfigError`). With
   * `spec.signingKeys`, a token that cannot be opened or refuses a key is the plugin's error naming
   * its library and label; a failure leaves neither the org's folder nor its keys in the token.
   */
  generateOrg(spec: OrgMaterialSpec, baseDir: string): Promise<GeneratedOrgMaterial>;
  /** The org's CAs acting after init (`weft network add-user`, `weft network revoke`); a generator may offer none. */
  readonly authority?: OrgAuthority;
}

/** Where an org's cryptogen-layout folder is, and its domain (`org1.example.com`). */
export interface OrgFolderRef {
  readonly orgDir: string;
  readonly domain: string;
}

/** How {@link OrgAuthority.issueOrgUsers} and {@link OrgAuthority.issueOrgPeer} make a new member's enrollment key. */
export interface MemberIssueOptions {
  /**
   * A token to generate each new member's enrollment key in, as {@link OrgMaterialSpec.signingKeys}
   * does for `generateOrg`: no `keystore/` file, the folder left empty. A failure part-way destroys
   * the keys the call made there; a token that cannot be opened fails before anything is written.
   */
  readonly signingKeys?: SigningKeyToken;
}

/** What a member issued with {@link MemberIssueOptions.signingKeys} carries back. */
export interface IssuedSigningKey {
  /**
   * Present when its key was generated in the token: destroys it there, for a caller that throws
   * the member's folder away after all (a later step failed). Throws the plugin's token errors.
   */
  readonly discardSigningKey?: () => void;
}

/** An org's CAs acting after `weft network init`: issuing more client users, and the CA's next CRL. */
export interface OrgAuthority {
  /**
   * Issues client users (NodeOU `client` enrollment certificate, TLS client certificate) of the org
   * whose cryptogen-layout folder is `org.orgDir`, from its CA keys there, into
   * `<outOrgDir>/users/<name>@<domain>/` as `generateOrg` lays users out (keys 0600). Throws
   * `CA_KEY_NOT_HERE` when a CA key is absent, `USER_EXISTS` for a folder already there.
   */
  issueOrgUsers(org: OrgFolderRef, users: readonly string[], outOrgDir: string, options?: MemberIssueOptions): Promise<({ user: string; serialNumber: string } & IssuedSigningKey)[]>;
  /**
   * Issues one more peer of the org (NodeOU `peer` enrollment certificate, TLS server certificate
   * naming `<name>.<domain>`, `<name>`, localhost, 127.0.0.1 and `sans`) from its CA keys in
   * `org.orgDir`, into `<outOrgDir>/peers/<name>.<domain>/` as `generateOrg` lays nodes out (keys
   * 0600). Called by `weft network add-peer`, once per new peer. Throws `CA_KEY_NOT_HERE` when a CA
   * key is absent, `PEER_EXISTS` for a folder already there.
   */
  issueOrgPeer(org: OrgFolderRef, peer: { readonly name: string; readonly sans: readonly string[] }, outOrgDir: string, options?: MemberIssueOptions): Promise<{ serialNumber: string } & IssuedSigningKey>;
  /**
   * The org CA's next CRL (PEM): every serial the `earlier` CRLs of that CA revoke plus those of
   * `certificates` (PEM), numbered above them, with the AKI Fabric's MSP matches CRLs to CAs by.
   * `which` (default `ca`) picks the signing CA, or the TLS CA (`tlsca`) for TLS certificates.
   */
  nextOrgCrl(org: OrgFolderRef, certificates: readonly Uint8Array[], earlier: readonly Uint8Array[], which?: 'ca' | 'tlsca'): Promise<{ pem: string; crlNumber: number; serials: string[] }>;
  /** Whether one of `crls` revokes `certificate` as Fabric's MSP decides it (AKI, serial, CA signature); `which` as in {@link nextOrgCrl}. */
  orgCrlRevokes(org: OrgFolderRef, certificate: Uint8Array, crls: readonly Uint8Array[], which?: 'ca' | 'tlsca'): boolean;
  /** Whether `crl` was issued by the org's CA (`which`; its AKI is the CA's SKI), not by another CA of the MSP. */
  orgCrlIssued(org: OrgFolderRef, crl: Uint8Array, which?: 'ca' | 'tlsca'): boolean;
  /**
   * Re-issues the enrollment (and TLS, if it has one) certificate of the member in `memberDir` from
   * the org's CAs: same subject, role and TLS names, new keys (0600), `notAfter` capped at the CA's
   * own expiry. Writes a whole copy of the member's folder to `outDir`; `memberDir` is not changed.
   * A member whose `msp/keystore/` is empty (its key in a PKCS#11 token) is re-issued for the
   * current certificate's public key, nothing written to `keystore/`; its TLS key is renewed as a file.
   * `notBefore` is the new certificates' start (default `now` less the clock-skew margin): the
   * whole-network recovery passes the old certificate's start, so the chain verifies against the
   * expired root the channels still hold. `keepTlsKey` re-issues the TLS certificate for the key it
   * has (the key file copied as it is): an etcdraft orderer whose channels name its TLS certificate
   * and find it by that key, re-issued while no channel can be updated.
   * Throws `CA_KEY_NOT_HERE`, `CA_EXPIRED`, `MEMBER_CERT_MISSING`, `CERT_NOT_FROM_CA`.
   */
  renewOrgMember(
    org: OrgFolderRef,
    memberDir: string,
    outDir: string,
    options?: { readonly notAfter?: Date; readonly now?: Date; readonly notBefore?: Date; readonly keepTlsKey?: boolean },
  ): Promise<RenewedMember>;
  /**
   * Re-issues the org's CA (`ca`) or TLS CA (`tlsca`) certificate for the same key, subject
   * and SKI, so every certificate it issued still chains to it, valid until `notAfter` (ten years
   * by default) from its old `notBefore`. Writes nothing: the caller replaces every copy. An
   * intermediate `ca`/`tlsca` is re-signed by its root (`rootca`/`tlsrootca`), its end capped at
   * the root's; `rootca`/`tlsrootca` renews that root. Throws `CA_KEY_NOT_HERE`,
   * `ROOT_CA_KEY_NOT_HERE` (the root's key, needed for both, is not here), `CA_KEY_MISMATCH`,
   * `CA_EXPIRED` (the root ended), `BAD_NOT_AFTER`.
   */
  renewOrgCa(org: OrgFolderRef, which: OrgCaKind, options?: { readonly notAfter?: Date; readonly now?: Date }): Promise<RenewedCa>;
  /** Whether `a` and `b` (PEM) are the same CA to what it issued: same encoded subject and key (serial and validity may differ). */
  sameCa(a: Uint8Array, b: Uint8Array): boolean;
}

/**
 * An org's CA by its folder: `ca` and `tlsca` issue its members; for an org made with
 * {@link OrgMaterialSpec.intermediateCa} they are intermediates, and `rootca` and `tlsrootca` the
 * roots that signed them.
 */
export type OrgCaKind = 'ca' | 'tlsca' | 'rootca' | 'tlsrootca';

/** The `weft network renew` flag that renews each kind of CA: what errors about one name. */
export const ORG_CA_RENEW_FLAG: Readonly<Record<OrgCaKind, string>> = { ca: '--ca', tlsca: '--tls-ca', rootca: '--root-ca', tlsrootca: '--tls-root-ca' };

/** A CA certificate {@link OrgAuthority.renewOrgCa} re-issued. */
export interface RenewedCa {
  /** `ca.<domain>-cert.pem`: the name every copy of the certificate has in the org's folders. */
  readonly fileName: string;
  readonly previousPem: string;
  readonly certPem: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A certificate {@link OrgAuthority.renewOrgMember} issued. */
export interface RenewedCertificate {
  readonly serialNumber: string;
  readonly notAfter: Date;
}

/** What {@link OrgAuthority.renewOrgMember} issued; `tls` is absent for a member with no TLS certificate. */
export interface RenewedMember {
  readonly enrollment: RenewedCertificate;
  readonly tls?: RenewedCertificate;
}
export const CryptoMaterialGenerator = Symbol('CryptoMaterialGenerator');
