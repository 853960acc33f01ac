import { SavedState } from '@hub-image-actions/action-io';

/** What main hands to the post step, which undoes what a killed main could not. */
export const savedState = new SavedState<{
  /** The clone's folder under RUNNER_TEMP. */
  'work-dir': string;
  /** The minted installation token, sealed with a key from the App's private key (sealed-token.ts). */
  'token-seal': string;
  /** 'true' once main revoked and removed everything itself. */
  closed: string;
}>(['work-dir', 'token-seal', 'closed']);
