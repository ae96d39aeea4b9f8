/**
 * fabric-shim's `ClientIdentity`: the transaction creator's MSP ID, Fabric's `getID()` string
 * (`x509::<subject DN>::<issuer DN>`, not base64) and the attributes a Fabric CA writes into
 * extension 1.2.3.4.5.6.7.8.1.
 */
import type { Buffer } from 'buffer';
import type { ChaincodeStub } from './stub';
import { parseCertificate } from './x509';

interface Details {
  readonly id: string;
  readonly attrs: Readonly<Record<string, string>>;
}

/** Parsed certificate details by certificate PEM: every transaction of a client builds the same ones. */
const details = new Map<string, Details>();
const MAX_DETAILS = 256;

function detailsOf(pem: string): Details {
  let d = details.get(pem);
  if (d === undefined) {
    const cert = parseCertificate(pem);
    let attrs: Record<string, string> = {};
    if (cert.fabricAttrs !== undefined) {
      try {
        const parsed = JSON.parse(cert.fabricAttrs) as { attrs?: Record<string, string> };
        if (parsed.attrs && typeof parsed.attrs === 'object') attrs = parsed.attrs;
      } catch {
        // A malformed attribute extension means no attributes, as in fabric-shim.
      }
    }
    d = { id: `x509::${cert.subjectDN}::${cert.issuerDN}`, attrs };
    if (details.size >= MAX_DETAILS) details.delete(details.keys().next().value as string);
    details.set(pem, d);
  }
  return d;
}

/**
 * Built for every transaction by the contract dispatcher, as in fabric-contract-api; the
 * certificate is only decoded when the chaincode asks for the ID or an attribute (most
 * transactions never do), which is unobservable: the peer has validated the creator already.
 */
export class ClientIdentity {
  readonly mspId: string;
  readonly idBytes: Buffer;
  private parsed: Details | undefined;
  private ownAttrs: Record<string, string> | undefined;

  constructor(readonly stub: ChaincodeStub) {
    const creator = stub.getCreator();
    this.mspId = creator.mspid;
    this.idBytes = creator.idBytes;
  }

  private get details(): Details {
    return (this.parsed ??= detailsOf(this.idBytes.toString('utf8')));
  }

  /** fabric-shim's public field, which chaincode reads directly (`new ClientIdentity(stub).id`). */
  get id(): string {
    return this.details.id;
  }

  /** fabric-shim's public field: this identity's own copy, so a chaincode that changes it changes no other transaction's. */
  get attrs(): Record<string, string> {
    return (this.ownAttrs ??= { ...this.details.attrs });
  }

  getID(): string {
    return this.details.id;
  }
  getMSPID(): string {
    return this.mspId;
  }
  getIDBytes(): Buffer {
    return this.idBytes;
  }
  getAttributeValue(attrName: string): string | null {
    const { attrs } = this;
    const attr = Object.prototype.hasOwnProperty.call(attrs, attrName) ? attrs[attrName] : undefined;
    return typeof attr === 'string' && attr !== '' ? attr : null;
  }
  assertAttributeValue(attrName: string, attrValue: string): boolean {
    return this.getAttributeValue(attrName) === attrValue;
  }
}
