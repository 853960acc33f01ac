import { runAction } from '@hub-image-actions/action-io';
import { main } from './main.js';

await runAction('fleet-report', main);
