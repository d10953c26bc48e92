/** What the API needs of the display gateway: taking display access back. */
export interface DisplayControl {
  /** Ends the desktop's connections (of `user` only, when given); how many were ended. */
  revoke(desktop: string, user?: string): number;
}

export const DISPLAYS = Symbol('DisplayControl');
