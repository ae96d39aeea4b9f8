/** fabric-contract-api's `Contract` base class with its transaction hooks. */
import { Context } from './context';

export class Contract {
  __isContract = true;
  name: string;

  constructor(name?: string) {
    this.__isContract = true;
    this.name = typeof name === 'string' && name.trim() !== '' ? name.trim() : this.constructor.name;
  }

  static _isContract(obj: unknown): boolean {
    return obj instanceof Contract || Boolean(obj && (obj as { __isContract?: boolean }).__isContract);
  }

  async beforeTransaction(_ctx: Context): Promise<void> {}

  async afterTransaction(_ctx: Context, _result: unknown): Promise<void> {}

  async aroundTransaction(ctx: Context, fnName: string, parameters: unknown[]): Promise<unknown> {
    const fn = (this as unknown as Record<string, (...a: unknown[]) => unknown>)[fnName];
    return fn.call(this, ctx, ...parameters);
  }

  async unknownTransaction(ctx: Context): Promise<void> {
    const { fcn } = ctx.stub.getFunctionAndParameters();
    throw new Error(`You've asked to invoke a function that does not exist: ${fcn}`);
  }

  createContext(): Context {
    return new Context();
  }

  getName(): string {
    return this.name;
  }
}
