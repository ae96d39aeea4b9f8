/**
 * How to start a chaincode-as-a-service server so that the peers accept it: with the package ID it
 * must register as, listening on every interface at `port` (the port of the address the package's
 * connection.json gives the peers). Said where the package is made and where the peers could not
 * reach the server.
 */
export function ccaasServerCommand(packageId: string, port: string): string {
  return `CHAINCODE_ID=${packageId} CHAINCODE_SERVER_ADDRESS=0.0.0.0:${port} (Go, Java or fabric-shim servers), or: fabric-chaincode-node server --chaincode-id ${packageId} --chaincode-address 0.0.0.0:${port}`;
}
