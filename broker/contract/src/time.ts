/**
 * A point in time in a view. The broker builds views with `Date`s (`View<Date>`); JSON carries
 * them as ISO-8601 strings, which is what a client reads (`View`, the default).
 */
export type Time = Date | string;
