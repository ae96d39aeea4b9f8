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
}

/** Where an organization's generated material landed. */
export interface GeneratedOrgMaterial {
  /** `<baseDir>/organizations/{peer,orderer}Organizations/<domain>`. */
  readonly orgDir: string;
  /** The org-level MSP folder (no private keys): what a channel config carries. */
  readonly mspDir: string;
}

/**
 * Scaffolding tooling of the `msp` slot: certificate authorities and identities for a new network,
 * written in cryptogen's folder layout so Fabric tooling and docs apply unchanged. Called by
 * `weft network init`, once per organization.
 */
export interface CryptoMaterialGenerator {
  /**
   * Generates the org's CA, TLS CA, MSP folders, node and user identities (keys written 0600)
   * under `baseDir/organizations`. Refuses to overwrite an existing org (`ConfigError`).
   */
  generateOrg(spec: OrgMaterialSpec, baseDir: string): Promise<GeneratedOrgMaterial>;
}
export const CryptoMaterialGenerator = Symbol('CryptoMaterialGenerator');
