/** Label-selector matching for the election: the one shared implementation of core/config. */
export { matchesSelector } from "../config/selector";
