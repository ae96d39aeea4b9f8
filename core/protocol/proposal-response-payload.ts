import { ChaincodeAction } from '@hyperledger/fabric-protos/lib/peer/proposal_pb';
import { ProposalResponsePayload } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { decode, guard, requireBytes, requireMessage } from './bounded-decode';

/** A chaincode's response as carried in `peer.Response`. */
export interface ChaincodeResponse {
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
}

/** `peer.ChaincodeID` fields. */
export interface ChaincodeIdentifier {
  readonly name: string;
  readonly version: string;
  readonly path?: string;
}

/** A decoded `peer.ChaincodeAction`: what the endorsers agreed on. */
export interface ParsedChaincodeAction {
  /** `TxReadWriteSet` bytes. */
  readonly results: Uint8Array;
  /** `ChaincodeEvent` bytes (empty when the chaincode set no event). */
  readonly events: Uint8Array;
  readonly response: ChaincodeResponse;
  readonly chaincodeId: ChaincodeIdentifier;
}

/** A decoded `peer.ProposalResponsePayload` with its exact bytes. */
export interface ParsedProposalResponsePayload {
  readonly bytes: Uint8Array;
  readonly proposalHash: Uint8Array;
  /** `ChaincodeAction` bytes. */
  readonly extension: Uint8Array;
  readonly action: ParsedChaincodeAction;
}

/** Decodes `ProposalResponsePayload` bytes and its `ChaincodeAction` at `path`. */
export function parseProposalResponsePayload(bytes: Uint8Array, path: string): ParsedProposalResponsePayload {
  requireBytes(bytes, path);
  const prp = decode(ProposalResponsePayload, bytes, path);
  const proposalHash = requireBytes(prp.getProposalHash_asU8(), `${path}.proposal_hash`);
  const extPath = `${path}.extension`;
  const extension = requireBytes(prp.getExtension_asU8(), extPath);
  const act = decode(ChaincodeAction, extension, extPath);
  const action = guard(extPath, (): ParsedChaincodeAction => {
    const ccid = requireMessage(act.getChaincodeId(), `${extPath}.chaincode_id`);
    const response = act.getResponse();
    return {
      results: act.getResults_asU8(),
      events: act.getEvents_asU8(),
      response: {
        status: response?.getStatus() ?? 0,
        message: response?.getMessage() ?? '',
        payload: response?.getPayload_asU8() ?? new Uint8Array(0),
      },
      chaincodeId: { name: ccid.getName(), version: ccid.getVersion(), path: ccid.getPath() },
    };
  });
  return { bytes, proposalHash, extension, action };
}
