import type { ChaincodeLog, ChaincodeLogLevel } from '../../chaincode/chaincode-runtime';
import type { Logger, NodeLogging } from '../../node/logger';

/** The chaincode level that pino's numeric level lets through, lowest first. */
function lowestWritten(logger: Logger): ChaincodeLogLevel | undefined {
  const level = logger.levelVal;
  if (level <= 20) return 'debug';
  if (level <= 30) return 'info';
  if (level <= 40) return 'warn';
  if (level <= 50) return 'error';
  return undefined;
}

/**
 * Each chaincode's log, under the peer logger `peer.chaincode.<name>` (Fabric names a chaincode
 * container's output `peer.chaincode.<container>`), so `warn:peer.chaincode=info` shows every
 * chaincode's info entries and `peer.chaincode.basic=debug` one chaincode's debug entries. Entries
 * carry the channel, the transaction and the chaincode-side logger name.
 */
export class ChaincodeLogs {
  private readonly logs = new Map<string, ChaincodeLog>();

  constructor(private readonly logging: NodeLogging) {}

  of(chaincodeName: string): ChaincodeLog {
    let log = this.logs.get(chaincodeName);
    if (log === undefined) {
      const logger = this.logging.logger(`peer.chaincode.${chaincodeName}`);
      log = {
        get level() {
          return lowestWritten(logger);
        },
        write({ level, logger: source, message, channelId, txId }) {
          logger[level]({ channel: channelId, txId, logger: source }, message);
        },
      };
      this.logs.set(chaincodeName, log);
    }
    return log;
  }
}
