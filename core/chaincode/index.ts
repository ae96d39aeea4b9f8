export * from './chaincode-runtime';
export * from './chaincode-package';
export * from './package-store';
export * from './host-api';
export * from './host-table';
export * from './host-session';
export * from './packager';
