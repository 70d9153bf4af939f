/** The CLI's version, in a module of its own so that `tt --version` loads nothing else. */
export const VERSION = "0.1.0";
