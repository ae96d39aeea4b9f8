export * from './tx-simulator';
