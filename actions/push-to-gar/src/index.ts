import { runAction } from '@hub-image-actions/action-io';
import { main, post } from './main.js';

await runAction('push-to-gar', main, post);
