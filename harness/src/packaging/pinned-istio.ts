// Written by scripts/refresh-istio-crds.ts with harness/crds/istio-extensions.json; do not edit (see README.md).

/** Istio minors with pinned CRDs, oldest first, and the `istio.io/api` version each one's CRDs come from. */
export const PINNED_ISTIO_API_VERSIONS: Readonly<Record<string, string>> = {
  "1.24": "v1.24.4",
  "1.25": "v1.25.5",
  "1.26": "v1.26.4",
  "1.27": "v1.27.8",
  "1.28": "v1.28.3",
  "1.29": "v1.29.8",
  "1.30": "v1.30.8",
  "1.31": "v1.31.4",
  "1.32": "v1.32.0",
};

/** The newest pinned Istio minor: the Istio version every command and function assumes when none is given. */
export const NEWEST_PINNED_ISTIO = "1.32";

/** The oldest pinned Istio minor. */
export const OLDEST_PINNED_ISTIO = "1.24";
