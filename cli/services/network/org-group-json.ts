import type { ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ImplicitMetaPolicy, Policy, SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { FabricMSPConfig, FabricOUIdentifier, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { AnchorPeers } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';

/**
 * An application org's config group (`/Channel/Application/<org>`) as Fabric's
 * `configtxgen -printOrg` prints it: protolator's JSON of a `DynamicApplicationOrgGroup`
 * (`common/tools/protolator`, `protoext/peerext`), snake_case names, uint64 as strings, bytes as
 * base64, enums by name, the MSP and AnchorPeers values and the signature/implicit-meta policies
 * decoded in place. Fabric's tutorial splices exactly this into the channel config with jq, so a
 * Weft org definition carries it for a Fabric operator to use as is.
 */
export function orgGroupJson(group: ConfigGroup): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  group.getValuesMap().forEach((value, key) => {
    values[key] = { mod_policy: value.getModPolicy(), value: valueJson(key, value.getValue_asU8()), version: String(value.getVersion()) };
  });
  const policies: Record<string, unknown> = {};
  group.getPoliciesMap().forEach((policy, key) => {
    policies[key] = { mod_policy: policy.getModPolicy(), policy: policyJson(policy.getPolicy()), version: String(policy.getVersion()) };
  });
  const groups: Record<string, unknown> = {};
  group.getGroupsMap().forEach((sub, key) => (groups[key] = orgGroupJson(sub)));
  return { groups, mod_policy: group.getModPolicy(), policies, values, version: String(group.getVersion()) };
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

function valueJson(key: string, bytes: Uint8Array): unknown {
  if (key === 'MSP') {
    const msp = MSPConfig.deserializeBinary(bytes);
    // Type 0 is Fabric's X.509 MSP; another type's config stays opaque bytes, as protolator leaves it.
    return { config: msp.getType() === 0 ? fabricMspJson(FabricMSPConfig.deserializeBinary(msp.getConfig_asU8())) : b64(msp.getConfig_asU8()), type: msp.getType() };
  }
  if (key === 'AnchorPeers') return { anchor_peers: AnchorPeers.deserializeBinary(bytes).getAnchorPeersList().map((p) => ({ host: p.getHost(), port: p.getPort() })) };
  return b64(bytes);
}

function ouJson(ou: FabricOUIdentifier | undefined): unknown {
  return ou === undefined ? null : { certificate: b64(ou.getCertificate_asU8()), organizational_unit_identifier: ou.getOrganizationalUnitIdentifier() };
}

function fabricMspJson(c: FabricMSPConfig): Record<string, unknown> {
  const crypto = c.getCryptoConfig();
  const nodeOus = c.getFabricNodeOus();
  return {
    admins: c.getAdminsList_asU8().map(b64),
    crypto_config:
      crypto === undefined ? null : { identity_identifier_hash_function: crypto.getIdentityIdentifierHashFunction(), signature_hash_family: crypto.getSignatureHashFamily() },
    fabric_node_ous:
      nodeOus === undefined
        ? null
        : {
            admin_ou_identifier: ouJson(nodeOus.getAdminOuIdentifier()),
            client_ou_identifier: ouJson(nodeOus.getClientOuIdentifier()),
            enable: nodeOus.getEnable(),
            orderer_ou_identifier: ouJson(nodeOus.getOrdererOuIdentifier()),
            peer_ou_identifier: ouJson(nodeOus.getPeerOuIdentifier()),
          },
    intermediate_certs: c.getIntermediateCertsList_asU8().map(b64),
    name: c.getName(),
    organizational_unit_identifiers: c.getOrganizationalUnitIdentifiersList().map(ouJson),
    revocation_list: c.getRevocationListList_asU8().map(b64),
    root_certs: c.getRootCertsList_asU8().map(b64),
    // A definition never carries a signing identity (it would hold a private key): see readOrgDefinition.
    signing_identity: c.getSigningIdentity() === undefined ? null : { public_signer: b64(c.getSigningIdentity()!.getPublicSigner_asU8()), private_signer: {} },
    tls_intermediate_certs: c.getTlsIntermediateCertsList_asU8().map(b64),
    tls_root_certs: c.getTlsRootCertsList_asU8().map(b64),
  };
}

const CLASSIFICATIONS = Object.fromEntries(Object.entries(MSPPrincipal.Classification).map(([k, v]) => [v, k]));
const ROLES = Object.fromEntries(Object.entries(MSPRole.MSPRoleType).map(([k, v]) => [v, k]));
const META_RULES = Object.fromEntries(Object.entries(ImplicitMetaPolicy.Rule).map(([k, v]) => [v, k]));

function policyJson(policy: Policy | undefined): unknown {
  if (policy === undefined) return null;
  const bytes = policy.getValue_asU8();
  if (policy.getType() === Policy.PolicyType.SIGNATURE) {
    const envelope = SignaturePolicyEnvelope.deserializeBinary(bytes);
    return {
      type: policy.getType(),
      value: {
        identities: envelope.getIdentitiesList().map((p) => {
          const role = p.getPrincipalClassification() === MSPPrincipal.Classification.ROLE ? MSPRole.deserializeBinary(p.getPrincipal_asU8()) : undefined;
          return {
            principal: role === undefined ? b64(p.getPrincipal_asU8()) : { msp_identifier: role.getMspIdentifier(), role: ROLES[role.getRole()] },
            principal_classification: CLASSIFICATIONS[p.getPrincipalClassification()],
          };
        }),
        rule: ruleJson(envelope.getRule()),
        version: envelope.getVersion(),
      },
    };
  }
  if (policy.getType() === Policy.PolicyType.IMPLICIT_META) {
    const meta = ImplicitMetaPolicy.deserializeBinary(bytes);
    return { type: policy.getType(), value: { rule: META_RULES[meta.getRule()], sub_policy: meta.getSubPolicy() } };
  }
  return { type: policy.getType(), value: b64(bytes) };
}

function ruleJson(rule: SignaturePolicy | undefined): unknown {
  if (rule === undefined) return null;
  if (rule.hasNOutOf()) return { n_out_of: { n: rule.getNOutOf()!.getN(), rules: rule.getNOutOf()!.getRulesList().map(ruleJson) } };
  return { signed_by: rule.getSignedBy() };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What configtxgen -printOrg prints: a config group (values, policies) rather than a Weft definition. */
export function isPrintOrgGroup(raw: unknown): raw is Record<string, unknown> {
  return isObject(raw) && 'values' in raw && 'policies' in raw && !('format' in raw);
}

/**
 * The JSON without proto3 default values (null, [], {}, '', false, 0, '0'), recursively: protolator
 * reads a missing field as its default, so a group printed or edited without them is the same group.
 */
export function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const stripped = withoutDefaults(v);
    const isDefault =
      stripped === null || stripped === undefined || stripped === '' || stripped === false || stripped === 0 || stripped === '0' || (Array.isArray(stripped) && stripped.length === 0) || (isObject(stripped) && Object.keys(stripped).length === 0);
    if (!isDefault) out[key] = stripped;
  }
  return out;
}
