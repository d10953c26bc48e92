import type { LaunchOptions } from 'playwright-core';

/**
 * How every browser test starts Debian's Chromium: headless, as root (no sandbox), and without
 * the background traffic that this machine's closed network would refuse.
 */
export const CHROMIUM: LaunchOptions = {
  executablePath: process.env.FORKDESK_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
