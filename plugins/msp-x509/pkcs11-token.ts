/**
 * PKCS#11 tokens opened by this process: one module (library) initialised once, one logged-in
 * session per token label, shared by everything that signs with that token and closed when the last
 * lease is released. Cryptoki's login state belongs to the application, not to a session, so a
 * second session would add nothing; calls are synchronous and run on the main thread one at a time,
 * so one session is never used by two operations at once.
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { MspError } from '../../core/errors';
import { CK, ckrOf, newPkcs11, Pkcs11ErrorCode, type Pkcs11Api, type Pkcs11Attribute, type Pkcs11Handle } from './pkcs11-library';

/** Where a token is and how to log in to it. */
export interface TokenAddress {
  /** Path of the PKCS#11 library (.so). */
  readonly library: string;
  /** The token's label (CKA_LABEL of the token, as `softhsm2-util --show-slots` prints it). */
  readonly label: string;
  /** The user PIN. Never logged or put in an error. */
  readonly pin: string;
}

interface LoadedModule {
  readonly api: Pkcs11Api;
  /** False when another loader in the process had initialised the library: finalising is theirs. */
  readonly initialisedHere: boolean;
  sessions: number;
}

const modules = new Map<string, LoadedModule>();
interface OpenToken {
  readonly token: Pkcs11Token;
  leases: number;
}

const openTokens = new Map<string, OpenToken>();

function tokenError(code: string, message: string, address: TokenAddress, cause?: unknown, details: Record<string, unknown> = {}): MspError {
  return new MspError(code, message, { library: address.library, label: address.label, ...details }, cause === undefined ? undefined : { cause });
}

function failure(what: string, address: TokenAddress, err: unknown): MspError {
  return tokenError(Pkcs11ErrorCode.TokenFailure, `PKCS#11 token "${address.label}": ${what} failed: ${(err as Error).message}`, address, err);
}

/** Keyed with a secret of this process: a PIN is short, so a plain hash of it would give it away wherever it showed up. */
const PIN_DIGEST_KEY = randomBytes(32);

/** What tells two PINs apart without keeping either. */
function pinDigest(pin: string): string {
  return createHmac('sha256', PIN_DIGEST_KEY).update(pin).digest('hex');
}

function loadModule(address: TokenAddress): LoadedModule {
  const existing = modules.get(address.library);
  if (existing !== undefined) return existing;
  const api = newPkcs11();
  try {
    api.load(address.library);
  } catch (err) {
    throw tokenError(Pkcs11ErrorCode.BadLibrary, `PKCS#11 library ${address.library} cannot be loaded: ${(err as Error).message}; check bccsp.pkcs11.library`, address, err);
  }
  let initialisedHere = true;
  try {
    api.C_Initialize();
  } catch (err) {
    // Another loader in this process (a second pkcs11js object) may have initialised it: usable as is.
    if (ckrOf(err) !== CK.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      api.close();
      throw tokenError(Pkcs11ErrorCode.BadLibrary, `PKCS#11 library ${address.library} failed to initialise: ${(err as Error).message}`, address, err);
    }
    initialisedHere = false;
  }
  const loaded = { api, initialisedHere, sessions: 0 };
  modules.set(address.library, loaded);
  return loaded;
}

function unloadModule(library: string, loaded: LoadedModule): void {
  if (loaded.sessions > 0) return;
  modules.delete(library);
  try {
    if (loaded.initialisedHere) loaded.api.C_Finalize();
  } finally {
    loaded.api.close();
  }
}

function findSlot(api: Pkcs11Api, address: TokenAddress): Pkcs11Handle {
  let slots: Pkcs11Handle[];
  try {
    slots = api.C_GetSlotList(true);
  } catch (err) {
    throw failure('C_GetSlotList', address, err);
  }
  const labels: string[] = [];
  for (const slot of slots) {
    // Token labels are blank-padded to 32 bytes.
    const label = api.C_GetTokenInfo(slot).label.replace(/[\s\0]+$/, '');
    if (label === address.label) return slot;
    labels.push(label);
  }
  throw tokenError(
    Pkcs11ErrorCode.TokenNotFound,
    `no PKCS#11 token labelled "${address.label}" in ${address.library} (tokens present: ${labels.length === 0 ? 'none' : labels.map((l) => `"${l}"`).join(', ')}); check bccsp.pkcs11.label`,
    address,
    undefined,
    { present: labels },
  );
}

/** A logged-in session on one token. Obtain with {@link openToken}; every method is synchronous. */
export class Pkcs11Token {
  private closed = false;

  constructor(
    readonly address: Omit<TokenAddress, 'pin'>,
    private readonly api: Pkcs11Api,
    private readonly session: Pkcs11Handle,
    readonly pinDigest: string,
  ) {}

  /** Objects of class `objectClass` whose CKA_ID is `id`, or of any id when `id` is undefined (at most `max`). */
  findObjects(objectClass: number, id: Uint8Array | undefined, max = 2): Pkcs11Handle[] {
    const template: Pkcs11Attribute[] = [{ type: CK.CKA_CLASS, value: objectClass }, ...(id === undefined ? [] : [{ type: CK.CKA_ID, value: Buffer.from(id) }])];
    try {
      this.api.C_FindObjectsInit(this.session, template);
      try {
        return this.api.C_FindObjects(this.session, max);
      } finally {
        this.api.C_FindObjectsFinal(this.session);
      }
    } catch (err) {
      throw failure('C_FindObjects', { ...this.address, pin: '' }, err);
    }
  }

  /** The values of `types` on `object`, in order. */
  attributes(object: Pkcs11Handle, types: readonly number[]): Buffer[] {
    try {
      return this.api.C_GetAttributeValue(this.session, object, types.map((type) => ({ type }))).map((a) => a.value);
    } catch (err) {
      throw failure('C_GetAttributeValue', { ...this.address, pin: '' }, err);
    }
  }

  /** CKM_ECDSA over `digest` with private key `key`: the raw r||s the token returns. */
  signDigest(key: Pkcs11Handle, digest: Uint8Array): Buffer {
    try {
      this.api.C_SignInit(this.session, { mechanism: CK.CKM_ECDSA }, key);
      return Buffer.from(this.api.C_Sign(this.session, Buffer.from(digest), Buffer.alloc(132)));
    } catch (err) {
      throw failure('C_Sign', { ...this.address, pin: '' }, err);
    }
  }

  createObject(template: Pkcs11Attribute[]): Pkcs11Handle {
    try {
      return this.api.C_CreateObject(this.session, template);
    } catch (err) {
      throw failure('C_CreateObject', { ...this.address, pin: '' }, err);
    }
  }

  /** A key pair made inside the token by `mechanism` (the private half never leaves it). */
  generateKeyPair(mechanism: number, publicTemplate: Pkcs11Attribute[], privateTemplate: Pkcs11Attribute[]): { publicKey: Pkcs11Handle; privateKey: Pkcs11Handle } {
    try {
      return this.api.C_GenerateKeyPair(this.session, { mechanism }, publicTemplate, privateTemplate);
    } catch (err) {
      throw failure('C_GenerateKeyPair', { ...this.address, pin: '' }, err);
    }
  }

  setAttributes(object: Pkcs11Handle, template: Pkcs11Attribute[]): void {
    try {
      this.api.C_SetAttributeValue(this.session, object, template);
    } catch (err) {
      throw failure('C_SetAttributeValue', { ...this.address, pin: '' }, err);
    }
  }

  destroyObject(object: Pkcs11Handle): void {
    this.api.C_DestroyObject(this.session, object);
  }

  /** Logs out and closes the session (last lease released). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.api.C_Logout(this.session);
    } catch {
      // Closing the session ends the login anyway.
    }
    this.api.C_CloseSession(this.session);
  }
}

/** One holder's use of a token; {@link release} once when done. */
export interface TokenLease {
  readonly token: Pkcs11Token;
  release(): void;
}

function tokenKey(address: TokenAddress): string {
  return `${address.library}\0${address.label}`;
}

function login(api: Pkcs11Api, session: Pkcs11Handle, address: TokenAddress): void {
  try {
    api.C_Login(session, CK.CKU_USER, address.pin);
  } catch (err) {
    const ckr = ckrOf(err);
    if (ckr === CK.CKR_USER_ALREADY_LOGGED_IN) return;
    if (ckr === CK.CKR_PIN_INCORRECT || ckr === CK.CKR_PIN_LEN_RANGE) {
      throw tokenError(Pkcs11ErrorCode.Login, `PKCS#11 token "${address.label}" refused the user PIN (${(err as Error).message}); check bccsp.pkcs11.pin or the WEFT_PKCS11_PIN environment variable`, address);
    }
    throw failure('C_Login', address, err);
  }
}

/**
 * A lease on the logged-in session of the token `address` names, opening the library and the
 * session on first use. Throws `MspError`: MSP_PKCS11_UNAVAILABLE, MSP_PKCS11_LIBRARY,
 * MSP_PKCS11_TOKEN_NOT_FOUND, MSP_PKCS11_LOGIN (wrong PIN, or another PIN than the open session's).
 */
export function openToken(input: TokenAddress): TokenLease {
  const address = { ...input, library: path.resolve(input.library) };
  const key = tokenKey(address);
  let entry = openTokens.get(key);
  if (entry !== undefined && entry.token.pinDigest !== pinDigest(address.pin)) {
    throw tokenError(Pkcs11ErrorCode.Login, `PKCS#11 token "${address.label}" is already open in this process with another PIN; every node in one process must use the same PIN for it`, address);
  }
  if (entry === undefined) {
    const loaded = loadModule(address);
    let session: Pkcs11Handle | undefined;
    try {
      const slot = findSlot(loaded.api, address);
      try {
        session = loaded.api.C_OpenSession(slot, CK.CKF_SERIAL_SESSION | CK.CKF_RW_SESSION);
      } catch (err) {
        throw failure('C_OpenSession', address, err);
      }
      login(loaded.api, session, address);
    } catch (err) {
      if (session !== undefined) loaded.api.C_CloseSession(session);
      unloadModule(address.library, loaded);
      throw err;
    }
    loaded.sessions++;
    entry = { token: new Pkcs11Token({ library: address.library, label: address.label }, loaded.api, session, pinDigest(address.pin)), leases: 0 };
    openTokens.set(key, entry);
  }
  entry.leases++;
  const opened = entry;
  let released = false;
  return {
    token: opened.token,
    release: () => {
      if (released) return;
      released = true;
      // Closed already by closeAllTokenSessions (and perhaps opened again since): not this lease's to close.
      if (--opened.leases > 0 || openTokens.get(key) !== opened) return;
      closeEntry(key, opened);
    },
  };
}

/**
 * Closes every token session and library this process opened, whatever leases remain: for process
 * shutdown, and for tests whose nodes outlive them. Signers using them fail afterwards.
 */
export function closeAllTokenSessions(): void {
  for (const [key, entry] of openTokens) closeEntry(key, entry);
}

function closeEntry(key: string, entry: OpenToken): void {
  openTokens.delete(key);
  entry.token.close();
  const loaded = modules.get(entry.token.address.library);
  if (loaded !== undefined) {
    loaded.sessions--;
    unloadModule(entry.token.address.library, loaded);
  }
}

/** How many token sessions this process holds open (tests check that stopping releases them). */
export function openTokenSessions(): number {
  return openTokens.size;
}
