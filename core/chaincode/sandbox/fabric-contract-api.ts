/** What `require('fabric-contract-api')` resolves to inside a Weft bundle. */
export { Contract } from './contract';
export { Context } from './context';
export { JSONSerializer } from './json-serializer';
export { Transaction, Returns, Param, Object, Property, Info, Default } from './annotations';
