/**
 * Where a local MSP's signing key lives, with Fabric's BCCSP names camelCased (core.yaml
 * `peer.BCCSP`, orderer.yaml `General.BCCSP`): `SW` reads `keystore/`, `PKCS11` signs in a token.
 */
import { z } from 'zod';
import { MspError } from '../../core/errors';
import { Pkcs11ErrorCode } from './pkcs11-library';
import type { TokenAddress } from './pkcs11-token';

/** The environment variable the token's user PIN is read from when the YAML gives none (Fabric: CORE_PEER_BCCSP_PKCS11_PIN). */
export const PKCS11_PIN_ENV = 'WEFT_PKCS11_PIN';

/** Fabric's `KeyIDMapping`: the CKA_ID to use for one certificate's SKI (hex). */
export const Pkcs11KeyIdMapping = z
  .object({
    ski: z.string().regex(/^[0-9a-fA-F]+$/, 'must be the SKI in hex').transform((s) => s.toLowerCase()),
    id: z.string().min(1),
  })
  .strict();

export const Pkcs11Options = z
  .object({
    /** Path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
    library: z.string().min(1, 'must name the PKCS#11 library (.so) path'),
    /** The token's label. */
    label: z.string().min(1, 'must name the token label'),
    /** The user PIN; better given in WEFT_PKCS11_PIN than written in the YAML. */
    pin: z.string().min(1).optional(),
    /** Fabric's hash family for its software operations; Weft's signatures follow the MSP's crypto config (SHA-256). */
    hash: z.enum(['SHA2', 'SHA3']).default('SHA2'),
    /** Fabric's key-generation security level; the signing key's curve is the certificate's. */
    security: z.union([z.literal(256), z.literal(384)]).default(256),
    /** Fabric verifies in software when set; Weft always verifies in software. Accepted for Fabric configs. */
    softwareVerify: z.boolean().default(false),
    /** Fabric marks generated keys unmodifiable when set; `weft network init --hsm-library` generates them modifiable, as Fabric does by default. Accepted for Fabric configs. */
    immutable: z.boolean().default(false),
    /** A CKA_ID used for every key instead of the SKI (Fabric's AltID). */
    altId: z.string().min(1).optional(),
    /** Per-SKI CKA_IDs, checked before altId (Fabric's KeyIds). */
    keyIds: z.array(Pkcs11KeyIdMapping).default([]),
  })
  .strict();
export type Pkcs11Options = z.output<typeof Pkcs11Options>;

export const BccspOptions = z
  .object({
    default: z.enum(['SW', 'PKCS11']).default('SW'),
    pkcs11: Pkcs11Options.optional(),
  })
  .strict()
  .refine((b) => b.default !== 'PKCS11' || b.pkcs11 !== undefined, { message: 'default is PKCS11 but the pkcs11 section is missing', path: ['pkcs11'] });
export type BccspOptions = z.output<typeof BccspOptions>;

/**
 * The token address of `pkcs11`: its PIN from the options, else from {@link PKCS11_PIN_ENV}.
 * Throws MSP_PKCS11_LOGIN when neither gives one.
 */
export function tokenAddressOf(pkcs11: Pkcs11Options, env: NodeJS.ProcessEnv = process.env): TokenAddress {
  const pin = pkcs11.pin ?? env[PKCS11_PIN_ENV];
  if (pin === undefined || pin === '') {
    throw new MspError(Pkcs11ErrorCode.Login, `no PIN for PKCS#11 token "${pkcs11.label}": set ${PKCS11_PIN_ENV} in the node's environment (or bccsp.pkcs11.pin)`, {
      label: pkcs11.label,
      field: 'bccsp.pkcs11.pin',
    });
  }
  return { library: pkcs11.library, label: pkcs11.label, pin };
}

/** Fabric's skiMapper (bccsp/factory/pkcs11factory.go): keyIds entry for the SKI, else altId, else the SKI itself. */
export function keyIdForSki(pkcs11: Pick<Pkcs11Options, 'altId' | 'keyIds'>, ski: Uint8Array): Buffer {
  const hex = Buffer.from(ski).toString('hex');
  const mapped = pkcs11.keyIds.find((k) => k.ski === hex);
  if (mapped !== undefined) return Buffer.from(mapped.id);
  if (pkcs11.altId !== undefined) return Buffer.from(pkcs11.altId);
  return Buffer.from(ski);
}
