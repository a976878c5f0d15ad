export { GitfleetError } from './errors.js';
export { formatObjectRef, groupOf, type ObjectRef } from './object-ref.js';
