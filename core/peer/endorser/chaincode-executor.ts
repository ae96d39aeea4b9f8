import type { ChaincodeResponse, ChaincodeRuntime, ChaincodeEventOut } from '../../chaincode/chaincode-runtime';
import type { PackageStore } from '../../chaincode/package-store';
import type { TxSimulator } from '../../ledger/tx-simulator';
import type { Identity } from '../../msp/identity';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import type { Channel } from '../channel/channel';
import { readApproval, readDefinition } from '../lifecycle/lifecycle-state';
import { PeerError } from '../peer-error';
import type { SystemChaincode } from '../scc/system-chaincode';

/** What one simulation produced. */
export interface ExecutionResult {
  readonly response: ChaincodeResponse;
  readonly event?: ChaincodeEventOut;
  /** `ChaincodeID.version` for the endorsed action: the definition's version ('' for system chaincodes). */
  readonly version: string;
}

/** What the executor needs from the peer. */
export interface ExecutorSupport {
  readonly mspId: string;
  readonly runtime: ChaincodeRuntime | undefined;
  readonly packages: PackageStore;
  systemChaincode(name: string): SystemChaincode | undefined;
  readonly executeTimeoutMs: number;
}

/**
 * Runs the chaincode a proposal names: a system chaincode in-process, or the package this org
 * approved for the committed definition, in the runtime. The definition is read through the
 * simulator so the transaction depends on it (MVCC invalidates it if the definition changes before
 * commit); this org's approval is read outside the rwset, since every org reads a different key.
 */
export class ChaincodeExecutor {
  private readonly installed = new Map<string, Promise<void>>();

  constructor(private readonly support: ExecutorSupport) {}

  async execute(proposal: ParsedSignedProposal, channel: Channel | undefined, creator: Identity, simulator: TxSimulator | undefined): Promise<ExecutionResult> {
    const name = proposal.chaincodeName;
    const scc = this.support.systemChaincode(name);
    if (scc !== undefined) {
      const response = await scc.invoke({ channel, args: proposal.args, creator, proposal, simulator });
      return { response, version: '' };
    }
    if (channel === undefined || simulator === undefined) {
      throw new PeerError('PEER_UNKNOWN_CHAINCODE', `chaincode ${name} cannot be invoked without a channel`, { chaincode: name });
    }
    const definition = readDefinition(simulator, name);
    if (definition === undefined) {
      throw new PeerError(
        'PEER_UNKNOWN_CHAINCODE',
        `make sure the chaincode ${name} has been successfully defined on channel ${channel.id} and try again: chaincode ${name} not found`,
        { chaincode: name, channelId: channel.id },
      );
    }
    const qe = channel.ledger.newQueryExecutor();
    let packageId: string | undefined;
    let approved: boolean;
    try {
      const approval = readApproval(qe, this.support.mspId, name, definition.sequence);
      approved = approval !== undefined;
      packageId = approval?.packageId;
    } finally {
      qe.done();
    }
    if (!approved) {
      throw new PeerError(
        'PEER_CHAINCODE_NOT_APPROVED',
        `chaincode definition for '${name}' at sequence ${definition.sequence} on channel '${channel.id}' has not yet been approved by this org (${this.support.mspId})`,
        { chaincode: name, sequence: definition.sequence },
      );
    }
    if (packageId === undefined || this.support.runtime === undefined) {
      throw new PeerError('PEER_CHAINCODE_NOT_INSTALLED', `chaincode definition for '${name}' exists, but chaincode is not installed`, { chaincode: name });
    }
    await this.ensureInstalled(packageId, name);
    const result = await this.support.runtime.invoke(
      packageId,
      {
        chaincodeName: name,
        channelId: channel.id,
        txId: proposal.txId,
        args: proposal.args,
        transient: proposal.transient,
        creator: proposal.creator,
        signedProposal: proposal.bytes,
        timestamp: timestampOf(proposal.timestamp),
        mspId: this.support.mspId,
        isInit: proposal.isInit,
      },
      {
        simulator,
        invokeChaincode: (callee) => {
          throw new PeerError('PEER_UNSUPPORTED', `chaincode-to-chaincode invocation of ${callee} from ${name} is not supported yet`, { callee });
        },
        limits: { timeoutMs: this.support.executeTimeoutMs },
      },
    );
    return { response: result.response, event: result.event, version: definition.version };
  }

  private ensureInstalled(packageId: string, name: string): Promise<void> {
    let p = this.installed.get(packageId);
    if (p === undefined) {
      p = (async () => {
        let bytes: Uint8Array;
        try {
          bytes = this.support.packages.load(packageId);
        } catch {
          throw new PeerError('PEER_CHAINCODE_NOT_INSTALLED', `chaincode definition for '${name}' exists, but chaincode is not installed`, {
            chaincode: name,
            packageId,
          });
        }
        await (this.support.runtime as ChaincodeRuntime).install(bytes);
      })();
      this.installed.set(packageId, p);
      p.catch(() => this.installed.delete(packageId));
    }
    return p;
  }
}

function timestampOf(date: Date | undefined): { seconds: number; nanos: number } {
  const ms = date?.getTime() ?? 0;
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}
