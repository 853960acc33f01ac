import * as core from '@actions/core';

/**
 * The values main hands to the post step. One typed record per action, so the post step reads exactly
 * what main wrote and nothing else.
 */
export class SavedState<T extends Record<string, string>> {
  constructor(private readonly keys: readonly (keyof T & string)[]) {}

  save(values: Partial<T>): void {
    for (const [key, value] of Object.entries(values)) {
      if (value !== undefined) core.saveState(key, value);
    }
  }

  load(): Partial<T> {
    const values: Partial<T> = {};
    for (const key of this.keys) {
      const value = core.getState(key);
      if (value !== '') (values as Record<string, string>)[key] = value;
    }
    return values;
  }
}
