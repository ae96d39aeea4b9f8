/**
 * The part of `pkcs11js` (an optional native dependency) the PKCS#11 signer uses, loaded only when
 * a node is configured with `bccsp.default: PKCS11`. Declared here rather than imported from the
 * package's types: a platform where the addon failed to build has no `pkcs11js` folder at all, and
 * the plugin must still compile and load there.
 */
import { MspError } from '../../core/errors';

/** Codes of the `MspError`s this plugin throws for PKCS#11 (core's `MspErrorCode` leaves room for plugin codes). */
export const Pkcs11ErrorCode = {
  /** `pkcs11js` is not installed or its native addon was not built. */
  Unavailable: 'MSP_PKCS11_UNAVAILABLE',
  /** The PKCS#11 library file could not be loaded or initialised. */
  BadLibrary: 'MSP_PKCS11_LIBRARY',
  /** No token with the configured label in any slot. */
  TokenNotFound: 'MSP_PKCS11_TOKEN_NOT_FOUND',
  /** The token refused the PIN, or no PIN was given. */
  Login: 'MSP_PKCS11_LOGIN',
  /** No EC private key in the token under the CKA_ID the certificate's SKI maps to. */
  KeyNotFound: 'MSP_PKCS11_KEY_NOT_FOUND',
  /** The token already holds another key under that CKA_ID (import). */
  KeyExists: 'MSP_PKCS11_KEY_EXISTS',
  /** A PKCS#11 call failed (its CKR_ name in the message). */
  TokenFailure: 'MSP_PKCS11_FAILURE',
} as const;

/** A PKCS#11 handle (slot, session, object): pkcs11js returns them as Buffers. */
export type Pkcs11Handle = Buffer;

export interface Pkcs11Attribute {
  type: number;
  value?: number | boolean | string | Buffer;
}

/** The Cryptoki calls used here, as pkcs11js 2.x names and types them (synchronous forms). */
export interface Pkcs11Api {
  load(path: string): void;
  C_Initialize(): void;
  C_Finalize(): void;
  close(): void;
  C_GetSlotList(tokenPresent?: boolean): Pkcs11Handle[];
  C_GetTokenInfo(slot: Pkcs11Handle): { label: string };
  C_OpenSession(slot: Pkcs11Handle, flags: number): Pkcs11Handle;
  C_CloseSession(session: Pkcs11Handle): void;
  C_Login(session: Pkcs11Handle, userType: number, pin?: string): void;
  C_Logout(session: Pkcs11Handle): void;
  C_FindObjectsInit(session: Pkcs11Handle, template: Pkcs11Attribute[]): void;
  C_FindObjects(session: Pkcs11Handle, maxObjectCount: number): Pkcs11Handle[];
  C_FindObjectsFinal(session: Pkcs11Handle): void;
  C_GetAttributeValue(session: Pkcs11Handle, object: Pkcs11Handle, template: Pkcs11Attribute[]): { type: number; value: Buffer }[];
  C_CreateObject(session: Pkcs11Handle, template: Pkcs11Attribute[]): Pkcs11Handle;
  C_DestroyObject(session: Pkcs11Handle, object: Pkcs11Handle): void;
  C_SetAttributeValue(session: Pkcs11Handle, object: Pkcs11Handle, template: Pkcs11Attribute[]): void;
  C_GenerateKeyPair(session: Pkcs11Handle, mechanism: { mechanism: number }, publicTemplate: Pkcs11Attribute[], privateTemplate: Pkcs11Attribute[]): { publicKey: Pkcs11Handle; privateKey: Pkcs11Handle };
  C_SignInit(session: Pkcs11Handle, mechanism: { mechanism: number }, key: Pkcs11Handle): void;
  C_Sign(session: Pkcs11Handle, inData: Buffer, outData: Buffer): Buffer;
}

/** PKCS#11 v2.40 constants (pkcs11t.h), the few used here. */
export const CK = {
  CKF_RW_SESSION: 0x2,
  CKF_SERIAL_SESSION: 0x4,
  CKU_USER: 1,
  CKO_PUBLIC_KEY: 2,
  CKO_PRIVATE_KEY: 3,
  CKK_EC: 3,
  CKA_CLASS: 0x0,
  CKA_TOKEN: 0x1,
  CKA_PRIVATE: 0x2,
  CKA_LABEL: 0x3,
  CKA_VALUE: 0x11,
  CKA_KEY_TYPE: 0x100,
  CKA_ID: 0x102,
  CKA_SENSITIVE: 0x103,
  CKA_SIGN: 0x108,
  CKA_VERIFY: 0x10a,
  CKA_EXTRACTABLE: 0x162,
  CKA_EC_PARAMS: 0x180,
  CKA_EC_POINT: 0x181,
  CKM_EC_KEY_PAIR_GEN: 0x1040,
  CKM_ECDSA: 0x1041,
  CKR_PIN_INCORRECT: 0xa0,
  CKR_PIN_LEN_RANGE: 0xa2,
  CKR_USER_ALREADY_LOGGED_IN: 0x100,
  CKR_CRYPTOKI_ALREADY_INITIALIZED: 0x191,
} as const;

/** The PKCS#11 return code of a pkcs11js error (its `code`), undefined for other errors. */
export function ckrOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && code !== 0 ? code : undefined;
}

type Pkcs11Constructor = new () => Pkcs11Api;
let pkcs11Constructor: Pkcs11Constructor | undefined;

/**
 * A new, unloaded `PKCS11` object from pkcs11js, required on first use only. Throws
 * `MSP_PKCS11_UNAVAILABLE` with the remedy when the package or its addon is missing.
 */
export function newPkcs11(): Pkcs11Api {
  if (pkcs11Constructor === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional native dependency, loaded only when PKCS11 is configured
      pkcs11Constructor = (require('pkcs11js') as { PKCS11: Pkcs11Constructor }).PKCS11;
    } catch (err) {
      throw new MspError(
        Pkcs11ErrorCode.Unavailable,
        `bccsp.default is PKCS11 but the optional dependency pkcs11js cannot be loaded (${(err as Error).message}); install a C++ compiler, python3 and make, then run \`npm rebuild pkcs11js\``,
        {},
        { cause: err },
      );
    }
  }
  return new pkcs11Constructor();
}
