export * from './identity';
export * from './msp';
export * from './msp-error-code';
export * from './expiry';
export * from './crypto-material';
