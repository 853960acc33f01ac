import { SavedState } from '@hub-image-actions/action-io';

/** What main leaves for the post step to undo when main could not (a failed or cancelled job). */
export interface PushState extends Record<string, string> {
  /** The private DOCKER_CONFIG holding the registry credential; '' once main removed it. */
  dockerConfig: string;
  /** A local name given to the image for `docker push`; '' once main undid it. */
  localTag: string;
  /** The image that name pointed at before, to point it back. */
  localTagPrevious: string;
}

export const pushState = new SavedState<PushState>(['dockerConfig', 'localTag', 'localTagPrevious']);
