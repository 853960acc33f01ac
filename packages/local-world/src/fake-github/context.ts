import type { GitServer } from '../git-server.js';
import type { Shapes } from './shapes.js';
import type { Store } from './store.js';
import type {
  Access,
  ApiCaller,
  ApiTokenGrant,
  InstallationToken,
  PermissionScope,
  RouteRequest,
} from './types.js';

/** What the route modules share: the fake's state, its JSON shapes, and its authorization check. */
export interface Context {
  url: string;
  serverUrl: string;
  git: GitServer;
  store: Store;
  shapes: Shapes;
  tokens: Map<string, ApiCaller>;
  minted: InstallationToken[];
  addToken(token: string, grant: ApiTokenGrant): void;
  authorize(
    request: RouteRequest,
    fullName: string,
    ...anyOf: Array<[PermissionScope, Access]>
  ): Promise<ApiCaller>;
}
