/** Label-selector matching for the election: the one shared implementation of capabilities/config. */
export { matchesSelector } from "../config/selector";
