export * from './catalog.ts';
export * from './internal-refs.ts';
export * from './repository.ts';
