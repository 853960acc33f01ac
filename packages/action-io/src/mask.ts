import * as core from '@actions/core';

/**
 * Registers a secret, and the forms it commonly takes in logs, with the runner's masker:
 * each line of a multi-line value, its base64 and its URL encoding.
 */
export function maskSecret(value: string): void {
  for (const form of secretForms(value)) core.setSecret(form);
}

export function secretForms(value: string): string[] {
  const forms = new Set<string>();
  const add = (form: string): void => {
    if (form.trim().length >= 4) forms.add(form);
  };
  add(value);
  add(value.trim());
  for (const line of value.split(/\r?\n|\\n/)) add(line.trim());
  add(Buffer.from(value).toString('base64'));
  add(encodeURIComponent(value));
  add(JSON.stringify(value).slice(1, -1));
  return [...forms];
}
