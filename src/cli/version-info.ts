/** The CLI's own version (the same package as the hub's), and the hub/agent skew rule. */
export { gitfleetVersion as cliVersion, skewProblem } from '../core/version-skew.js';
