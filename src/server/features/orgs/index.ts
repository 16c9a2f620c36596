export { createOrganisation } from './service.js';
