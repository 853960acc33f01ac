import { SavedState } from '@hub-image-actions/action-io';

/** What main leaves for the post step to clean up if the job is cancelled or fails half-way. */
export type BuildImageState = {
  /** The private DOCKER_CONFIG holding a registry login, under RUNNER_TEMP. */
  dockerConfigDir: string;
  /** Test containers, one name per line. */
  containers: string;
};

export const savedState = new SavedState<BuildImageState>(['dockerConfigDir', 'containers']);
