export * from './slots';
export * from './plugin';
export * from './config';
export * from './plugin-loader';
export * from './container';
export * from './slot-service';
