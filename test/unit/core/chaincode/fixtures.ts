import * as fs from 'node:fs';
import * as path from 'node:path';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import type { ChaincodeInvocation } from '../../../../core/chaincode/chaincode-runtime';

/** PEM certificates made once with openssl (Fabric CA style: user1 carries attrs incl. role=minter). */
export const pem = (name: 'ca' | 'user1' | 'user2'): string => fs.readFileSync(path.join(__dirname, 'fixtures', `${name}.pem`), 'utf8');

export function creator(user: 'user1' | 'user2', mspId = 'Org1MSP'): Uint8Array {
  const id = new SerializedIdentity();
  id.setMspid(mspId);
  id.setIdBytes(Buffer.from(pem(user)));
  return id.serializeBinary();
}

/** A top-level invocation of `chaincodeName` on channel `ch` by user1 of Org1MSP. */
export function invocationOf(chaincodeName: string, txId: string, args: readonly string[]): ChaincodeInvocation {
  return { chaincodeName, channelId: 'ch', txId, args: args.map((a) => Buffer.from(a)), creator: creator('user1'), timestamp: { seconds: 1, nanos: 0 }, mspId: 'Org1MSP' };
}

export const USER1_ID =
  'x509::/C=US/ST=North Carolina/O=Hyperledger/OU=client/CN=user1::/C=US/ST=North Carolina/L=Durham/O=org1.example.com/CN=ca.org1.example.com';
export const USER2_ID =
  'x509::/C=US/ST=North Carolina/O=Hyperledger/OU=client/CN=user2::/C=US/ST=North Carolina/L=Durham/O=org1.example.com/CN=ca.org1.example.com';

export const EXAMPLES = path.join(__dirname, '../../../../chaincode-examples');
