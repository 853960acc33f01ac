import { runAction } from '@hub-image-actions/action-io';
import { main } from './main.js';
import { post } from './post.js';

await runAction('bump-hubploy', main, post);
