/**
 * fabric-shim's `ClientIdentity`: the transaction creator's MSP ID, Fabric's `getID()` string
 * (`x509::<subject DN>::<issuer DN>`, not base64) and the attributes a Fabric CA writes into
 * extension 1.2.3.4.5.6.7.8.1.
 */
import type { Buffer } from 'buffer';
import type { ChaincodeStub } from './stub';
import { parseCertificate } from './x509';

export class ClientIdentity {
  private readonly mspId: string;
  private readonly idBytes: Buffer;
  private readonly id: string;
  private readonly attrs: Record<string, string>;

  constructor(readonly stub: ChaincodeStub) {
    const creator = stub.getCreator();
    this.mspId = creator.mspid;
    this.idBytes = creator.idBytes;
    const cert = parseCertificate(this.idBytes.toString('utf8'));
    this.id = `x509::${cert.subjectDN}::${cert.issuerDN}`;
    this.attrs = {};
    if (cert.fabricAttrs !== undefined) {
      try {
        const parsed = JSON.parse(cert.fabricAttrs) as { attrs?: Record<string, string> };
        if (parsed.attrs && typeof parsed.attrs === 'object') this.attrs = parsed.attrs;
      } catch {
        // A malformed attribute extension means no attributes, as in fabric-shim.
      }
    }
  }

  getID(): string {
    return this.id;
  }
  getMSPID(): string {
    return this.mspId;
  }
  getIDBytes(): Buffer {
    return this.idBytes;
  }
  getAttributeValue(attrName: string): string | null {
    const attr = this.attrs[attrName];
    return attr ? attr : null;
  }
  assertAttributeValue(attrName: string, attrValue: string): boolean {
    return this.getAttributeValue(attrName) === attrValue;
  }
}
