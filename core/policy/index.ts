export * from './policy';
export * from './policy-expression';
export * from './implicit-meta-expression';
export * from './principal-sets';
