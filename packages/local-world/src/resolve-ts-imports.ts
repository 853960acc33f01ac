import { registerHooks } from 'node:module';

// Jest loads global setup and teardown outside its module system: `moduleNameMapper` does not apply, so the
// harness's `./x.js` imports would not find `./x.ts`. Map them here, before the harness is imported.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!/^\.{1,2}\/.*\.js$/.test(specifier)) throw error;
      return nextResolve(specifier.replace(/\.js$/, '.ts'), context);
    }
  },
});
