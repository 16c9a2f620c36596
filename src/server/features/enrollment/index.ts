/** What others use of enrollment: the access check of routes declared `access: 'device'`. */
export { deviceCallerFor, type DeviceCaller } from './identity.js';
