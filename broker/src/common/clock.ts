/** Time as the scheduler and services see it; tests move it (the nightly refresh). */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('Clock');

export const systemClock: Clock = { now: () => new Date() };
