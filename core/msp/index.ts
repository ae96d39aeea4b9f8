export * from './identity';
export * from './msp';
