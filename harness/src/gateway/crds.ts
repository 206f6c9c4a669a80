// The real EnvoyExtensionPolicy CRD schema of the pinned Envoy Gateway release (harness/crds/envoy-gateway.json,
// written by scripts/refresh-gateway-crds.ts from the Go module proxy, checked against the Go checksum database;
// see README.md "Where the CRD comes from"). Loaded relative to this module so it works from src/ and from dist/.
import { readFileSync } from "node:fs";
import type { CrdProvenance, CrdSchema } from "../packaging/crds.ts";
import { GatewayError } from "./errors.ts";

/**
 * Where the pinned CRD came from: the same record as the Istio CRDs' (`module` is "github.com/envoyproxy/gateway",
 * `version` the Envoy Gateway release, `apiVersion` "gateway.envoyproxy.io/v1alpha1").
 */
export type GatewayCrdProvenance = CrdProvenance;

interface PinnedGatewayCrds extends GatewayCrdProvenance {
  schemas: { EnvoyExtensionPolicy: CrdSchema };
}

/** Location of the data file, relative to this module (src/gateway/ or dist/gateway/ → harness/crds/). */
const DATA_URL = new URL("../../crds/envoy-gateway.json", import.meta.url);

let pinned: PinnedGatewayCrds | undefined;

function load(): PinnedGatewayCrds {
  if (!pinned) {
    try {
      pinned = JSON.parse(readFileSync(DATA_URL, "utf8")) as PinnedGatewayCrds;
    } catch (cause) {
      throw new GatewayError(
        `cannot read the pinned Envoy Gateway CRD at ${DATA_URL.pathname}: ${(cause as Error).message}`,
        {
          hint: "reinstall @proxy-wasm-as/harness (the crds/ folder ships with it), or in this repository run `node scripts/refresh-gateway-crds.ts`",
          cause,
        },
      );
    }
  }
  return pinned;
}

/** Where the EnvoyExtensionPolicy CRD every function of this layer validates against came from. */
export function gatewayCrdProvenance(): GatewayCrdProvenance {
  const { schemas: _, $comment: __, ...provenance } = load() as PinnedGatewayCrds & { $comment?: string };
  return provenance;
}

/** The `openAPIV3Schema` of the pinned EnvoyExtensionPolicy CRD (CEL rules included). */
export function extensionPolicySchema(): CrdSchema {
  return load().schemas.EnvoyExtensionPolicy;
}
