export * from './catalog.ts';
export * from './expressions.ts';
export * from './internal-refs.ts';
export * from './repository.ts';
export * from './template.ts';
