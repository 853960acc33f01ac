// @actions/workflow-parser imports its schema, a JSON file, without `with { type: 'json' }`. Node's ESM loader refuses
// that (ERR_IMPORT_ATTRIBUTE_MISSING); this hook adds the attribute to the parser's JSON imports. A Node entry point
// that reads workflows imports it first. Jest's loader accepts the import as it is, and refuses module hooks.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (
      resolved.url.endsWith('.json') &&
      resolved.url.includes('/@actions/workflow-parser/') &&
      context.importAttributes.type === undefined
    ) {
      return { ...resolved, importAttributes: { ...context.importAttributes, type: 'json' } };
    }
    return resolved;
  },
});
