export { waitFor } from '../../libs/process-manager/test/support/wait-for.js';
