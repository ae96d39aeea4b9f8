/**
 * fabric-shim's `ChaincodeFromContract`: routes `contract:function` to a contract instance, converts
 * and validates arguments, runs the hooks, serializes the result, and answers the system contract's
 * `GetMetadata`. Contract instances are created once (at load), a `Context` per transaction.
 */
import { Buffer } from 'buffer';
import type { ParameterMetadata, Schema, TransactionMetadata } from './annotations';
import { ClientIdentity } from './client-identity';
import { Contract } from './contract';
import type { Context, ContextLogging } from './context';
import { JSONSerializer, type FullSchema } from './json-serializer';
import { getLogger, setLevel } from './logging';
import { ChaincodeResponse, Shim } from './shim';
import type { ChaincodeStub } from './stub';
import { validate } from './validator';

type ContractClass = new () => Contract;
type Serializer = { toBuffer(r: unknown, s?: Schema, p?: string): Buffer | undefined; fromBuffer(d: Buffer, s: FullSchema, p?: string): { value: unknown; validateData?: unknown } };

export interface SerializerConfig {
  transaction?: string;
  serializers?: Record<string, new () => Serializer>;
}

interface ContractMetadata {
  name: string;
  contractInstance: Record<string, unknown>;
  transactions: TransactionMetadata[];
  info?: Record<string, unknown>;
}

export interface ChaincodeMetadata {
  $schema: string;
  contracts: Record<string, ContractMetadata>;
  info: Record<string, unknown>;
  components: { schemas: Record<string, Schema> };
}

class SystemContract extends Contract {
  private _metadata: unknown;
  constructor() {
    super('org.hyperledger.fabric');
  }
  _setMetadata(metadata: unknown): void {
    this._metadata = metadata;
  }
  async GetMetadata(): Promise<unknown> {
    return this._metadata;
  }
}

/** fabric-contract-api's `ctx.logging`: loggers named after the contract, `<contract>:<name>` for a named one. */
function contractLogging(contractName: string): ContextLogging {
  return { setLevel, getLogger: (name?: string) => getLogger(name ? `${contractName}:${name}` : contractName) };
}

export class ChaincodeFromContract {
  private readonly implementations = new Map<string, Contract>();
  private readonly defaultContractName: string;
  readonly metadata: ChaincodeMetadata;
  private readonly serializer: Serializer;
  private readonly schemas: Record<string, Schema>;

  constructor(contractClasses: ContractClass[], serializers: SerializerConfig, suppliedMetadata: Partial<ChaincodeMetadata> | undefined, title: string, version: string) {
    const classes = [...contractClasses, SystemContract as unknown as ContractClass];
    let defaultName = Reflect.getMetadata('fabric:default', globalThis) as string | undefined;
    for (const cls of classes) {
      const contract = new cls();
      if (!Contract._isContract(contract)) throw new Error(`invalid contract instance ${JSON.stringify(contract)}`);
      const name = contract.getName();
      if (!defaultName) {
        defaultName = name;
        (contract as unknown as Record<string, unknown>).default = true;
      } else if (defaultName === name) {
        (contract as unknown as Record<string, unknown>).default = true;
      }
      this.implementations.set(name, contract);
    }
    this.defaultContractName = defaultName as string;

    const requested = serializers.transaction ?? 'jsonSerializer';
    const table: Record<string, new () => Serializer> = { jsonSerializer: JSONSerializer, ...(serializers.serializers ?? {}) };
    const cnstr = table[requested];
    if (cnstr === undefined) throw new Error(`Serializer ${requested} is not known`);
    this.serializer = new cnstr();

    const supplied = suppliedMetadata ?? {};
    if (supplied.contracts) {
      const missing = [...this.implementations.keys()].filter((k) => !supplied.contracts?.[k]).map((k) => `Missing contract ${k} in metadata`);
      if (missing.length > 0) throw new Error(JSON.stringify(missing));
    }
    this.metadata = this.buildMetadata(supplied, title, version);
    // The live object schemas, constructors included, as fabric-shim's DataMarshall gets them; supplied metadata has none.
    this.schemas = supplied.components?.schemas ?? (Reflect.getMetadata('fabric:objects', globalThis) as Record<string, Schema> | undefined) ?? {};
    (this.implementations.get('org.hyperledger.fabric') as SystemContract)._setMetadata(JSON.parse(JSON.stringify(this.metadata)));
  }

  private buildMetadata(supplied: Partial<ChaincodeMetadata>, title: string, version: string): ChaincodeMetadata {
    const schema = supplied.$schema ?? 'https://hyperledger.github.io/fabric-chaincode-node/main/api/contract-schema.json';
    let contracts = supplied.contracts;
    if (!contracts || Object.keys(contracts).length === 0) {
      contracts = {};
      const skip = Object.getOwnPropertyNames(Contract.prototype);
      for (const [name, impl] of this.implementations) {
        const instance = JSON.parse(JSON.stringify(impl)) as Record<string, unknown>;
        for (const k of Object.keys(instance)) if (k.startsWith('_')) delete instance[k];
        contracts[name] = { name, contractInstance: instance, transactions: transactionsOf(impl, skip), info: infoOf(impl) };
      }
    }
    const info = supplied.info ?? { version: version ?? '', title: title ?? '' };
    const components = supplied.components ?? { schemas: (Reflect.getMetadata('fabric:objects', globalThis) as Record<string, Schema> | undefined) ?? {} };
    return JSON.parse(JSON.stringify({ $schema: schema, contracts, info, components })) as ChaincodeMetadata;
  }

  async Init(stub: ChaincodeStub): Promise<ChaincodeResponse> {
    return this.invokeFunctionality(stub);
  }

  async Invoke(stub: ChaincodeStub): Promise<ChaincodeResponse> {
    return this.invokeFunctionality(stub);
  }

  private async invokeFunctionality(stub: ChaincodeStub): Promise<ChaincodeResponse> {
    const bufferArgs = stub.getBufferArgs();
    if (bufferArgs.length < 1) return Shim.success(Buffer.from('Default initiator successful.'));
    const fAndP = bufferArgs[0].toString();
    const txArgs = bufferArgs.slice(1);
    try {
      const { contractName, fn } = this.splitFunctionName(fAndP);
      const contract = this.implementations.get(contractName);
      if (!contract) throw new Error(`Contract name is not known: ${contractName}`);
      const descriptor = this.metadata.contracts[contractName];

      const ctx = contract.createContext() as Context;
      ctx.setChaincodeStub(stub);
      ctx.setClientIdentity(new ClientIdentity(stub));
      ctx.logging = contractLogging(contractName);

      const tx = descriptor?.transactions.find((t) => t.name === fn);
      if (!tx) {
        await contract.unknownTransaction(ctx);
        return Shim.success();
      }
      const parameters = this.handleParameters(tx, txArgs);
      await contract.beforeTransaction(ctx);
      const result = await contract.aroundTransaction(ctx, fn, parameters);
      await contract.afterTransaction(ctx, result);
      // fabric-shim hands the serializer `returns.schema`, a field @Returns has not set since 1.4: the
      // declared return type never reaches it, so a value of another type goes out as it is.
      return Shim.success(this.serializer.toBuffer(result, (tx.returns as { schema?: Schema } | undefined)?.schema));
    } catch (err) {
      return Shim.error(thrownMessage(err));
    }
  }

  private splitFunctionName(fcn: string): { contractName: string; fn: string } {
    const idx = fcn.indexOf(':');
    if (idx === -1) return { contractName: this.defaultContractName, fn: fcn };
    const contractName = fcn.substring(0, idx);
    return { contractName: contractName === '' ? this.defaultContractName : contractName, fn: fcn.substring(idx + 1) };
  }

  private handleParameters(tx: TransactionMetadata, args: Buffer[]): unknown[] {
    const expected = tx.parameters;
    if (!expected) return args.map((a) => a.toString());
    if (expected.length !== args.length) {
      throw new Error(`Expected ${expected.length} parameters, but ${args.length} have been supplied`);
    }
    return expected.map((p: ParameterMetadata, i) => {
      if (!p.schema.type && !p.schema.$ref) throw new Error(`Incorrect type information ${JSON.stringify(p.schema)}`);
      const { value, validateData } = this.serializer.fromBuffer(args[i], { properties: { prop: p.schema }, components: { schemas: this.schemas } });
      // fabric-shim validates `validateData`, which its own JSONSerializer never returns: the converted value is what is checked.
      const errors = validate(validateData ? validateData : value, p.schema, this.schemas);
      if (errors.length > 0) throw new Error(`Unable to validate parameter due to ${JSON.stringify(errors)}`);
      return value;
    });
  }
}

function transactionsOf(contract: Contract, skip: string[]): TransactionMetadata[] {
  const declared = Reflect.getMetadata('fabric:transactions', contract) as TransactionMetadata[] | undefined;
  if (declared && declared.length > 0) return declared;
  const out: TransactionMetadata[] = [];
  const proto = Object.getPrototypeOf(contract) as object;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const value = (contract as unknown as Record<string, unknown>)[name];
    if (typeof value !== 'function' || name === 'constructor' || name.startsWith('_') || skip.includes(name)) continue;
    const tx: TransactionMetadata = { name };
    if (contract.getName() !== 'org.hyperledger.fabric') tx.tags = ['SUBMIT', 'submitTx'];
    if (value.length > 1) {
      tx.parameters = [];
      for (let i = 1; i < value.length; i++) tx.parameters.push({ name: `arg${i - 1}`, description: `Argument ${i - 1}`, schema: { type: 'string' } });
    }
    out.push(tx);
  }
  return out;
}

function infoOf(contract: Contract): Record<string, unknown> {
  const info = (Reflect.getMetadata('fabric:info', globalThis) as Record<string, Record<string, unknown>> | undefined) ?? {};
  return info[contract.constructor.name] ?? { title: '', version: '' };
}

/**
 * fabric-contract-api answers `shim.error(error.message)`: a thrown value's `message`, and '' for a
 * value without one (a string, say). A thrown undefined or null leaves a Fabric peer waiting for its
 * execute timeout, since the dispatcher itself fails; here the transaction fails at once.
 */
function thrownMessage(err: unknown): string {
  if (err === undefined || err === null) return `chaincode threw ${String(err)}`;
  try {
    const message = (err as { message?: unknown }).message;
    return message === undefined || message === null ? '' : errorMessage(message);
  } catch {
    return errorMessage(err);
  }
}

/** The message of whatever chaincode threw; never throws itself (a hostile getter or a Symbol must not hang the tx). */
export function errorMessage(err: unknown): string {
  try {
    if (err instanceof Error) return String(err.message);
    if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') return (err as { message: string }).message;
    return String(err);
  } catch {
    return 'chaincode threw a value that cannot be converted to a message';
  }
}
