// Names both hosts (the emulator and real Envoy) agree on, so a filter test gives the same answer on either.

/** The cluster the default route goes to when a test names none: the `upstream` shorthand of both hosts. */
export const DEFAULT_CLUSTER = "upstream";
