export * from './principal';
export * from './policy';
export * from './operations';
export * from './facts';
